//! The in-process gateway as the shell sees it — starting, running (its state and address) or
//! down — and how it is started: the gateway's own configuration from the environment, plus what
//! the desktop decides differently (secrets in the OS keychain by default, the remembered port,
//! a dialog when the port is taken).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use omniroute_gateway::{AppState, Config, Extras, Gateway, Overrides, StartError};
use omniroute_store::SecretBackendKind;
use tauri::AppHandle;
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use crate::menu::GatewayStatus;
use crate::prefs;
use crate::updater::DesktopUpdater;

/// A running gateway: what the tray and window need, and how to stop it.
#[derive(Clone)]
pub struct Running {
    pub state: AppState,
    pub addr: SocketAddr,
    stop: Arc<dyn Fn() + Send + Sync>,
    /// Turns `true` once the gateway has drained and flushed its store.
    stopped: watch::Receiver<bool>,
}

impl Running {
    /// The OpenAI-style base URL clients are given. `127.0.0.1`, not `localhost`: Node resolves
    /// `localhost` to `::1` first, which a loopback IPv4 listener does not answer.
    pub fn endpoint(&self) -> String {
        format!("{}/v1", self.origin())
    }

    pub fn origin(&self) -> String {
        let host = if self.addr.ip().is_unspecified() || self.addr.ip().is_loopback() {
            "127.0.0.1".to_owned()
        } else {
            self.addr.ip().to_string()
        };
        format!("http://{host}:{}", self.addr.port())
    }

    /// Stops accepting, lets requests finish, flushes the store; returns when done.
    pub async fn stop(mut self) {
        (self.stop)();
        let _ = self.stopped.wait_for(|done| *done).await;
    }
}

enum Phase {
    Starting,
    Running(Running),
    Down(String),
}

/// Managed by Tauri: the one gateway of this app.
pub struct GatewayCell(Mutex<Phase>);

impl Default for GatewayCell {
    fn default() -> Self {
        Self(Mutex::new(Phase::Starting))
    }
}

impl GatewayCell {
    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        omniroute_gateway::health::lock(&self.0)
    }

    pub fn running(&self) -> Option<Running> {
        match &*self.lock() {
            Phase::Running(r) => Some(r.clone()),
            Phase::Starting | Phase::Down(_) => None,
        }
    }

    pub fn status(&self) -> GatewayStatus {
        match &*self.lock() {
            Phase::Starting => GatewayStatus::Starting,
            Phase::Running(r) => GatewayStatus::Running { url: r.origin() },
            Phase::Down(reason) => GatewayStatus::Down {
                reason: reason.clone(),
            },
        }
    }

    pub fn set_down(&self, reason: String) {
        *self.lock() = Phase::Down(reason);
    }

    /// Takes the running gateway out (to stop it); the cell then reads as down.
    pub fn take(&self, reason: &str) -> Option<Running> {
        match std::mem::replace(&mut *self.lock(), Phase::Down(reason.to_owned())) {
            Phase::Running(r) => Some(r),
            Phase::Starting | Phase::Down(_) => None,
        }
    }
}

/// Why the gateway did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartFailure {
    /// The user chose Quit in the port dialog.
    #[error("port {0} is in use and another was declined")]
    Declined(u16),
    #[error("{0}")]
    Failed(String),
}

impl From<StartError> for StartFailure {
    fn from(e: StartError) -> Self {
        Self::Failed(e.to_string())
    }
}

/// Starts the gateway on this process's Tokio runtime and records it in `cell`.
pub async fn start(
    app: &AppHandle,
    cell: &GatewayCell,
    updater: DesktopUpdater,
) -> Result<Running, StartFailure> {
    let env = |name: &str| std::env::var(name).ok();
    let mut config = Config::from_env(env, &Overrides::default())
        .map_err(|e| StartFailure::Failed(e.to_string()))?;
    omniroute_gateway::prepare_data_dir(&config.data_dir)?;
    let remembered = prefs::load(&config.data_dir);
    if env("PORT").is_none() {
        if let Some(port) = remembered.port {
            set_port(&mut config, port);
        }
    }
    if env("OMNIROUTE_SECRETS").is_none() {
        config.secrets_backend = default_secrets_backend().await;
    }
    let listener = match omniroute_gateway::bind(&config).await {
        Ok(listener) => listener,
        Err(StartError::PortInUse { .. }) => other_port(app, &mut config).await?,
        Err(e) => return Err(e.into()),
    };
    let extras = Extras {
        updater: Some(Arc::new(updater)),
    };
    let handle = Gateway::start_with(config, listener, extras).await?;
    let (done, stopped) = watch::channel(false);
    let running = Running {
        state: handle.state().clone(),
        addr: handle.local_addr(),
        stop: Arc::new(handle.shutdown_trigger()),
        stopped,
    };
    tracing::info!(addr = %running.addr, "gateway started in-process");
    *cell.lock() = Phase::Running(running.clone());
    tauri::async_runtime::spawn(async move {
        handle.wait().await;
        done.send_replace(true);
    });
    Ok(running)
}

fn set_port(config: &mut Config, port: u16) {
    // A BASE_URL left at its default follows the port; one the user set stays.
    let default_base = format!("http://localhost:{}", config.port);
    if config.base_url == default_base {
        config.base_url = format!("http://localhost:{port}");
    }
    config.port = port;
}

/// The OS keychain when it answers, else encryption at rest (a desktop without a Secret Service,
/// such as a bare window manager).
async fn default_secrets_backend() -> SecretBackendKind {
    let probe = tokio::task::spawn_blocking(|| {
        keyring::Entry::new("omniroute-probe", "availability")
            .and_then(|entry| entry.get_password())
    })
    .await;
    match probe {
        Ok(Ok(_) | Err(keyring::Error::NoEntry)) => SecretBackendKind::Keychain,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "OS keychain unavailable; secrets are encrypted in DATA_DIR instead");
            SecretBackendKind::Encrypted
        }
        Err(e) => {
            tracing::warn!(error = %e, "keychain probe failed");
            SecretBackendKind::Encrypted
        }
    }
}

/// The configured port is taken: offer the next free one in a dialog; on yes, listen there and
/// remember it.
async fn other_port(app: &AppHandle, config: &mut Config) -> Result<TcpListener, StartFailure> {
    let taken = config.port;
    let mut candidate = None;
    for port in prefs::alternatives(taken) {
        if let Ok(listener) = TcpListener::bind(SocketAddr::new(config.host, port)).await {
            candidate = Some((port, listener));
            break;
        }
    }
    let Some((port, listener)) = candidate else {
        return Err(StartFailure::Failed(format!(
            "port {taken} and the ten after it are in use; set PORT to a free one"
        )));
    };
    tracing::warn!(taken, offered = port, "port in use; asking which to use");
    let (tx, rx) = oneshot::channel();
    app.dialog()
        .message(format!(
            "Port {taken} is already used by another program, so OmniRoute cannot listen there.\n\n\
             OmniRoute can use port {port} instead and remember it. Coding tools set up with the \
             old address need the new one (Copy endpoint URL in the tray)."
        ))
        .title("OmniRoute: port in use")
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(
            format!("Use port {port}"),
            "Quit".into(),
        ))
        .show(move |yes| {
            let _ = tx.send(yes);
        });
    if !rx.await.unwrap_or(false) {
        return Err(StartFailure::Declined(taken));
    }
    set_port(config, port);
    let mut remembered = prefs::load(&config.data_dir);
    remembered.port = Some(port);
    if let Err(e) = prefs::save(&config.data_dir, &remembered) {
        tracing::warn!(error = %e, "cannot remember the new port");
    }
    Ok(listener)
}
