//! The OS keychain backend, through the `keyring` crate. Its calls block (D-Bus on Linux), so
//! they run on tokio's blocking pool. Entries are named `<service>/<secret name>` where the
//! service carries this installation's id, so two data directories never share entries.

use super::{SecretError, SecretString};

#[derive(Clone, Debug)]
pub struct Keychain {
    service: String,
}

impl Keychain {
    pub fn new(service: String) -> Self {
        Self { service }
    }

    fn entry(service: &str, name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(service, name).map_err(|e| SecretError::Keychain(e.to_string()))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        name: &str,
        op: impl FnOnce(keyring::Entry) -> Result<T, SecretError> + Send + 'static,
    ) -> Result<T, SecretError> {
        let (service, name) = (self.service.clone(), name.to_owned());
        tokio::task::spawn_blocking(move || op(Self::entry(&service, &name)?))
            .await
            .map_err(|e| SecretError::Keychain(e.to_string()))?
    }

    pub async fn set(&self, name: &str, value: &SecretString) -> Result<(), SecretError> {
        let value = value.clone();
        self.blocking(name, move |entry| {
            entry
                .set_password(value.expose())
                .map_err(|e| SecretError::Keychain(e.to_string()))
        })
        .await
    }

    pub async fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        self.blocking(name, |entry| match entry.get_password() {
            Ok(v) => Ok(Some(SecretString::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretError::Keychain(e.to_string())),
        })
        .await
    }

    pub async fn delete(&self, name: &str) -> Result<(), SecretError> {
        self.blocking(name, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretError::Keychain(e.to_string())),
        })
        .await
    }
}
