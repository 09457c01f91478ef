//! Start-up and shutdown. Start-up is split into named steps, each failing with its own
//! `StartError` so the binary can print one line and exit 2. Shutdown stops accepting, lets
//! in-flight requests finish within the configured grace period, then flushes the store.

mod first_start;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use omniroute_store::{Secrets, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{AppState, Config, routes};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("DATA_DIR {path} is not usable: {reason}")]
    DataDir { path: String, reason: String },
    #[error(
        "port {port} on {host} is already in use; stop the other program or choose another with PORT or --port"
    )]
    PortInUse { host: String, port: u16 },
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Catalog(String),
    #[error("{0}")]
    Internal(String),
    #[error(
        "this gateway listens beyond this machine and its first password would be the published \
         default 123456: set INITIAL_PASSWORD to one of your own (then change it in the dashboard), \
         or start it once on 127.0.0.1 and set a password there"
    )]
    DefaultPassword,
}

/// Creates `DATA_DIR` when missing and proves it is writable.
pub fn prepare_data_dir(dir: &Path) -> Result<(), StartError> {
    let fail = |reason: String| StartError::DataDir {
        path: dir.display().to_string(),
        reason,
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    // Only its owner may list or read it: database, backups and the secret key live here.
    // A shared directory with the sticky bit (`/tmp`) is left alone: its mode is not ours.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(|e| fail(e.to_string()))?
            .permissions()
            .mode();
        if mode & 0o1000 == 0 && mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| fail(format!("cannot make it private ({e})")))?;
        }
    }
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("not writable ({e})")))?;
    std::fs::remove_file(&probe).map_err(|e| fail(e.to_string()))?;
    Ok(())
}

/// Binds the configured address, naming a port conflict plainly.
pub async fn bind(config: &Config) -> Result<TcpListener, StartError> {
    let addr = SocketAddr::new(config.host, config.port);
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => StartError::PortInUse {
            host: config.host.to_string(),
            port: config.port,
        },
        _ => StartError::Bind {
            addr,
            reason: e.to_string(),
        },
    })
}

pub struct Gateway;

/// What an embedding application plugs into the gateway (the desktop app); the headless binary
/// uses the default, nothing.
#[derive(Default)]
pub struct Extras {
    pub updater: crate::updater::SharedUpdater,
}

impl Gateway {
    /// Opens the store in `config.data_dir` and serves the application on `listener` until the
    /// returned handle is shut down.
    pub async fn start(config: Config, listener: TcpListener) -> Result<Handle, StartError> {
        Self::start_with(config, listener, Extras::default()).await
    }

    /// [`Gateway::start`] with the embedder's [`Extras`].
    pub async fn start_with(
        config: Config,
        listener: TcpListener,
        extras: Extras,
    ) -> Result<Handle, StartError> {
        prepare_data_dir(&config.data_dir)?;
        let database_url = config.database_url.as_ref().map(|u| u.expose());
        let store = Store::connect(&config.data_dir, database_url).await?;
        let secrets = Secrets::open_with_key(
            &store,
            &config.data_dir,
            config.secrets_backend,
            config.secret_key.as_ref(),
        )
        .await?;
        let mut config = config;
        let access = Arc::new(crate::access::Access::load(&store, &config).await?);
        let password_set = access.password().password_hash.is_some();
        first_start::settle(&mut config, &store, password_set).await?;
        let local_addr = listener.local_addr().map_err(|e| StartError::Bind {
            addr: SocketAddr::new(config.host, config.port),
            reason: e.to_string(),
        })?;
        for name in config.default_secrets_in_use() {
            tracing::warn!(
                "{name} still has its published default value; set it before exposing OmniRoute"
            );
        }
        let grace = config.shutdown_grace;
        // The built-in catalog, extended or overridden by `DATA_DIR/providers.json`.
        let catalog = omniroute_providers::Catalog::load(&config.data_dir)
            .map_err(|e| StartError::Internal(e.to_string()))?;
        let clients = omniroute_providers::Clients::new(config.upstream_timeout);
        let registry = Arc::new(crate::registry::Registry::load(&store, &secrets).await?);
        let logs = registry.clone();
        let recorder =
            crate::accounting::usage::Recorder::start(store.clone(), &config.data_dir, move || {
                logs.snapshot().accounting.logs.clone()
            });
        let cluster = Arc::new(match &config.redis_url {
            Some(url) => {
                crate::cluster::Cluster::start(url.expose()).map_err(StartError::Internal)?
            }
            None => crate::cluster::Cluster::off(),
        });
        let health: Arc<crate::health::Health> = Arc::default();
        let quota = crate::quota::QuotaBook::default();
        // Without Redis there is nobody to tell: the request path does none of that work.
        if cluster.target().is_some() {
            health.share_through(cluster.clone());
            quota.share_through(cluster.clone());
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let device = crate::sync::local::device(&config.data_dir)
            .map_err(|e| StartError::Internal(format!("cannot keep this device's sync id: {e}")))?;
        let state = AppState::new(crate::state::Shared {
            sync: Arc::new(crate::sync::Sync::new(device)),
            recorder: recorder.clone(),
            spend: Arc::default(),
            cache: Arc::default(),
            idempotency: Arc::new(crate::replay::idempotency::Idempotency::shared(
                cluster.clone(),
            )),
            cluster,
            in_flight: tokio::sync::Semaphore::new(config.max_in_flight),
            oauth: crate::oauth::OAuth::default(),
            reasoning: Arc::new(crate::reasoning_state::ReasoningStore::new(
                config.reasoning_state_ttl,
                config.reasoning_state_max_bytes,
            )),
            registry,
            config: Arc::new(config),
            store: store.clone(),
            secrets,
            catalog: Arc::new(catalog),
            clients: Arc::new(clients),
            health,
            quota,
            started: Instant::now(),
            access,
            telemetry: Arc::default(),
            monitor: crate::monitor::Monitor::new(stop_rx.clone()),
            updater: extras.updater,
        });
        crate::cluster::follow(state.clone());
        let app = routes::app(state.clone());
        #[allow(
            clippy::disallowed_methods,
            reason = "sync holds no request and no data a shutdown must flush: its kept state is \
                      written whole at the end of each run"
        )]
        tokio::spawn(crate::sync::start(state.clone(), state.sync.claim()));
        let max_connections = state.config.max_connections;
        #[allow(
            clippy::disallowed_methods,
            reason = "the serve task is the one Handle::wait joins"
        )]
        let task = tokio::spawn(crate::serving::serve(
            listener,
            app,
            stop_rx,
            grace,
            max_connections,
        ));
        Ok(Handle {
            local_addr,
            state,
            stop: stop_tx,
            task,
            store,
            recorder,
        })
    }
}

/// A running gateway.
pub struct Handle {
    local_addr: SocketAddr,
    state: AppState,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    store: Store,
    recorder: crate::accounting::usage::Recorder,
}

impl Handle {
    /// The address actually bound (the port is real even when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The running gateway's state, for an embedder calling the same functions as the
    /// management API (the desktop tray).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Asks the server to stop accepting and drain; returns at once. Idempotent.
    pub fn trigger_shutdown(&self) {
        self.stop.send_replace(true);
    }

    /// A sender that triggers shutdown, for signal handlers that outlive a borrow of the handle.
    pub fn shutdown_trigger(&self) -> impl Fn() + Send + Sync + 'static {
        let stop = self.stop.clone();
        move || {
            stop.send_replace(true);
        }
    }

    /// Waits until the server has stopped (after a shutdown trigger, or a fatal error), then
    /// flushes and closes the store.
    pub async fn wait(self) {
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "server task failed");
        }
        // Every request has finished: its usage row is queued; store them all before closing.
        self.recorder.flush().await;
        self.store.close().await;
        tracing::info!("stopped");
    }

    /// Triggers shutdown and waits for it to complete.
    pub async fn shutdown(self) {
        self.trigger_shutdown();
        self.wait().await;
    }
}

/// How both binaries end when the system asks (SIGTERM from a service manager or a logout,
/// SIGINT from Ctrl-C): the first signal calls `drain` (stop accepting, let requests finish,
/// flush the store); a second one while that runs means "now", and this returns when it comes.
pub async fn drain_on_termination(drain: impl FnOnce()) {
    let name = termination_signal().await;
    tracing::info!(signal = name, "shutdown requested");
    drain();
    let name = termination_signal().await;
    tracing::warn!(signal = name, "second signal: exiting without waiting");
}

/// Waits for SIGTERM or SIGINT; returns the signal's name.
async fn termination_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the gateway");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
