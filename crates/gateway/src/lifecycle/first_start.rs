//! What a gateway must not run with: the published default secrets and password. `JWT_SECRET`
//! signs sessions — with the published value anyone can forge one — so when it is not set, a
//! random one is generated on the first start and kept in `DATA_DIR` (0600). `API_KEY_SECRET`
//! likewise, unless API keys were already made under the default (they would stop working: that
//! installation keeps it, with a warning). Off loopback, a gateway whose first password would
//! be the published `INITIAL_PASSWORD` refuses to start until one of the user's own is set.

use std::path::Path;

use omniroute_store::{SecretString, Store};

use super::StartError;
use crate::Config;
use crate::config::{DEFAULT_API_KEY_SECRET, DEFAULT_INITIAL_PASSWORD, DEFAULT_JWT_SECRET};

const JWT_FILE: &str = "jwt-secret";
const API_KEY_FILE: &str = "api-key-secret";

/// Replaces default secrets in `config` with this installation's own; refuses a default first
/// password off loopback.
pub async fn settle(
    config: &mut Config,
    store: &Store,
    password_set: bool,
) -> Result<(), StartError> {
    if config.jwt_secret.expose() == DEFAULT_JWT_SECRET {
        config.jwt_secret = kept_or_generated(&config.data_dir, JWT_FILE)?;
    }
    if config.api_key_secret.expose() == DEFAULT_API_KEY_SECRET {
        let file = config.data_dir.join(API_KEY_FILE);
        if file.exists() || store.api_key_hashes().await?.is_empty() {
            config.api_key_secret = kept_or_generated(&config.data_dir, API_KEY_FILE)?;
        } else {
            tracing::warn!(
                "API keys were created under the published default API_KEY_SECRET; it stays so \
                 they keep working. Set API_KEY_SECRET and create new keys to replace it"
            );
        }
    }
    let off_loopback = !config.host.to_canonical().is_loopback();
    if off_loopback && !password_set && config.initial_password.expose() == DEFAULT_INITIAL_PASSWORD
    {
        return Err(StartError::DefaultPassword);
    }
    Ok(())
}

/// The secret kept in `DATA_DIR/<name>`, or a new random one written there (0600).
fn kept_or_generated(data_dir: &Path, name: &str) -> Result<SecretString, StartError> {
    let path = data_dir.join(name);
    let fail = |reason: String| StartError::DataDir {
        path: path.display().to_string(),
        reason,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            omniroute_store::restrict_to_owner(&path);
            return Ok(SecretString::new(text.trim().to_owned()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e.to_string())),
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| fail(format!("no randomness: {e}")))?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, secret.as_bytes()).map_err(|e| fail(e.to_string()))?;
    tracing::info!(file = %path.display(), "generated a secret for this installation");
    Ok(SecretString::new(secret))
}

/// Writes `bytes` to a new file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = omniroute_store::create_private(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = kept_or_generated(dir.path(), JWT_FILE).unwrap();
        assert_eq!(first.expose().len(), 64);
        assert_ne!(first.expose(), DEFAULT_JWT_SECRET);
        let again = kept_or_generated(dir.path(), JWT_FILE).unwrap();
        assert_eq!(first.expose(), again.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(JWT_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
