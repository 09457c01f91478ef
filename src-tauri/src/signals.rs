//! The system asking the app to end: SIGTERM (the session logging out, `kill`, a service
//! manager) or SIGINT (Ctrl-C in the terminal that started it). Without a handler either one
//! killed the process at once, and the gateway's last usage rows — gathered for up to 50 ms
//! before they are written — went with it. Now it quits as the tray's Quit does; a second
//! signal while the gateway drains exits at once.

use omniroute_gateway::drain_on_termination;
use tauri::AppHandle;

use crate::actions;

pub fn quit_on_termination(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let quitting = app.clone();
        drain_on_termination(move || {
            tauri::async_runtime::spawn(async move { actions::quit_on_signal(&quitting).await });
        })
        .await;
        app.exit(1);
    });
}
