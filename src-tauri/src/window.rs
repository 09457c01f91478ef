//! The dashboard window. It loads the dashboard from the in-process gateway, exactly what a
//! browser gets. Closing it destroys the webview (the idle app then costs only the gateway's
//! memory); "Open dashboard" builds a new one, or focuses the one that is open.

use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindowBuilder};

use crate::gateway::GatewayCell;

const LABEL: &str = "dashboard";

pub fn open(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let Some(running) = app.state::<GatewayCell>().running() else {
        tracing::info!("the dashboard opens once the gateway runs");
        return;
    };
    let url = match format!("{}/", running.origin()).parse::<Url>() {
        Ok(url) => url,
        Err(e) => {
            tracing::error!(error = %e, "dashboard URL");
            return;
        }
    };
    let built = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(url))
        .title("OmniRoute")
        .inner_size(1280.0, 800.0)
        .min_inner_size(800.0, 600.0)
        .build();
    match built {
        Ok(_) => tracing::info!("dashboard window opened"),
        Err(e) => tracing::error!(error = %e, "cannot open the dashboard window"),
    }
}
