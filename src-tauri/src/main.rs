//! `omniroute-desktop`: the OmniRoute gateway in-process (on this app's Tokio runtime, no child
//! process), its dashboard in a window and a tray to switch combos and watch provider health.
//! The shell holds no gateway logic: tray actions call the functions the management API calls.
//! Closing the window keeps the app in the tray; a second launch focuses the first.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod actions;
mod gateway;
mod menu;
mod prefs;
mod tray;
mod updater;
mod window;

use tauri::{AppHandle, Manager, RunEvent};
use tauri_plugin_autostart::MacosLauncher;
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::gateway::{GatewayCell, StartFailure};
use crate::updater::DesktopUpdater;

/// Given when the app is started at login: stay in the tray.
const MINIMIZED: &str = "--minimized";

fn main() {
    init_logging();
    let minimized = std::env::args().any(|arg| arg == MINIMIZED);
    let mut context = tauri::generate_context!();
    allow_loopback_update_feed(&mut context);
    let built = tauri::Builder::default()
        // First, so a second launch is caught before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tracing::info!("OmniRoute is already running; focusing it");
            window::open(app);
        }))
        .plugin(tauri_plugin_autostart::init(
            MacosLauncher::LaunchAgent,
            Some(vec![MINIMIZED]),
        ))
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(GatewayCell::default())
        .setup(move |app| {
            let updater = DesktopUpdater::new(app.handle().clone());
            app.manage(updater.clone());
            tray::create(app.handle())?;
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(start(handle, updater, minimized));
            Ok(())
        })
        .build(context);
    let app = match built {
        Ok(app) => app,
        Err(e) => {
            eprintln!("omniroute-desktop: {e}");
            std::process::exit(1);
        }
    };
    app.run(|_app, event| {
        // The last window closing is not the end: the app lives in the tray until Quit.
        if let RunEvent::ExitRequested { code: None, api, .. } = event {
            api.prevent_exit();
        }
    });
}

async fn start(app: AppHandle, updater: DesktopUpdater, minimized: bool) {
    let cell = app.state::<GatewayCell>();
    match gateway::start(&app, &cell, updater).await {
        Ok(running) => {
            println!("OmniRoute listening on {}", running.origin());
            tray::refresh(&app).await;
            if !minimized {
                window::open(&app);
            }
        }
        Err(StartFailure::Declined(port)) => {
            tracing::info!(port, "port in use and no other chosen; quitting");
            app.exit(1);
        }
        Err(StartFailure::Failed(reason)) => {
            tracing::error!(%reason, "the gateway did not start");
            cell.set_down(reason.clone());
            tray::refresh(&app).await;
            app.dialog()
                .message(format!("The OmniRoute gateway could not start:\n\n{reason}"))
                .title("OmniRoute")
                .kind(MessageDialogKind::Error)
                .show(|_| {});
        }
    }
}

/// With `OMNIROUTE_UPDATE_ENDPOINT` on this machine over plain HTTP (a local release feed, the
/// tests), release builds must be allowed to use it; signatures are checked all the same.
fn allow_loopback_update_feed(context: &mut tauri::Context<tauri::Wry>) {
    if !updater::endpoint_override().is_some_and(|url| updater::is_loopback_http(&url)) {
        return;
    }
    if let Some(serde_json::Value::Object(updater)) =
        context.config_mut().plugins.0.get_mut("updater")
    {
        updater.insert(
            "dangerousInsecureTransportProtocol".into(),
            serde_json::Value::Bool(true),
        );
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tao=error,wry=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
