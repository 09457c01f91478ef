//! What the tray's entries do. Each calls the same gateway function as the management API
//! (`control::activate_combo` is `PUT /api/combos/active`, the updater is
//! `/api/system/update`), so a switch in the tray is what the dashboard shows and vice versa.

use omniroute_gateway::Updater;
use omniroute_gateway::control;
use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_clipboard_manager::ClipboardExt as _;

use crate::gateway::GatewayCell;
use crate::menu::Action;
use crate::updater::DesktopUpdater;
use crate::{tray, window};

pub fn perform(app: &AppHandle, action: Action) {
    tracing::info!(?action, "tray menu");
    match action {
        Action::ActivateCombo(name) => activate(app, Some(name)),
        Action::ClearCombo => activate(app, None),
        Action::OpenDashboard | Action::SignInAgain(_) => window::open(app),
        Action::ConfigureTools => window::open_at(app, Some("cli-tools")),
        Action::OpenSync => window::open_at(app, Some("settings?tab=sync")),
        Action::CopyEndpoint => copy_endpoint(app),
        Action::ToggleAutostart => {
            toggle_autostart(app);
            tray::refresh_soon(app);
        }
        Action::CheckForUpdates => {
            app.state::<DesktopUpdater>().check();
            tray::refresh_soon(app);
        }
        Action::InstallUpdate => quit(app.clone()),
        Action::Quit => quit(app.clone()),
    }
}

fn activate(app: &AppHandle, name: Option<String>) {
    let Some(running) = app.state::<GatewayCell>().running() else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match control::activate_combo(&running.state, name.as_deref()).await {
            Ok(active) => tracing::info!(combo = ?active, "active combo switched"),
            Err(e) => tracing::warn!(error = %e.message, "cannot switch the combo"),
        }
        tray::refresh(&app).await;
    });
}

fn copy_endpoint(app: &AppHandle) {
    let Some(running) = app.state::<GatewayCell>().running() else {
        return;
    };
    let endpoint = running.endpoint();
    match app.clipboard().write_text(endpoint.clone()) {
        Ok(()) => tracing::info!(%endpoint, "endpoint URL copied"),
        Err(e) => tracing::warn!(error = %e, "cannot copy the endpoint URL"),
    }
}

fn toggle_autostart(app: &AppHandle) {
    let launcher = app.autolaunch();
    let result = match launcher.is_enabled() {
        Ok(true) => launcher.disable(),
        Ok(false) => launcher.enable(),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot change start at login");
    }
    let enabled = autostart_enabled(app);
    tracing::info!(enabled, "start at login");
    tray::note_autostart(app, enabled);
}

pub fn autostart_enabled(app: &AppHandle) -> bool {
    app.autolaunch().is_enabled().unwrap_or(false)
}

/// Stops the gateway (requests finish, usage is flushed), installs a downloaded update if one is
/// waiting, and exits — restarting into the new version when one was installed.
pub fn quit(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        stop_gateway(&app).await;
        let installed = match app.state::<DesktopUpdater>().install_pending() {
            Ok(installed) => installed,
            Err(message) => {
                tracing::error!(%message, "update not installed");
                false
            }
        };
        if installed {
            app.restart();
        }
        app.exit(0);
    });
}

/// Quitting because the system asked (SIGTERM at logout, Ctrl-C in a terminal): the gateway
/// stops as on Quit, but a waiting update is left for the next Quit — installing asks for a
/// password, which a session that is ending cannot show.
pub async fn quit_on_signal(app: &AppHandle) {
    stop_gateway(app).await;
    app.exit(0);
}

async fn stop_gateway(app: &AppHandle) {
    if let Some(running) = app.state::<GatewayCell>().take("quitting") {
        tray::refresh(app).await;
        running.stop().await;
    }
}
