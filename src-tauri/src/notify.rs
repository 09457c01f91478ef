//! OS notifications about quota: a window of an account reached 80 %, 95 % or 100 %, or reset
//! after that. Every few seconds the gateway says what changed (`control::quota_notices`, which
//! also applies Settings → Notifications); this module only words it and hands it to the OS:
//! the freedesktop notification service on the session bus on Linux, Tauri's notification
//! plugin elsewhere.

use std::time::Duration;

use omniroute_gateway::control::{self, AlertKind, AlertTracker, QuotaNotice};
use tauri::{AppHandle, Manager};

use crate::gateway::GatewayCell;
use crate::menu::time_left;

/// How often the quota windows are looked at; alerts are rare and reading them is cheap.
const EVERY: Duration = Duration::from_secs(2);

/// Starts watching the running gateway's quota windows.
pub fn watch(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut tracker = AlertTracker::default();
        loop {
            let notices = match app.state::<GatewayCell>().running() {
                Some(running) => control::quota_notices(&running.state, &mut tracker).await,
                None => Vec::new(),
            };
            for notice in notices {
                let (title, body) = wording(&notice);
                let app = app.clone();
                let shown =
                    tauri::async_runtime::spawn_blocking(move || show(&app, &title, &body)).await;
                match shown {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "cannot show a notification"),
                    Err(e) => tracing::warn!(error = %e, "notification task failed"),
                }
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

/// The notification's title and body.
fn wording(n: &QuotaNotice) -> (String, String) {
    let who = format!("{} ({})", n.provider, n.account);
    let resets = n
        .resets_in_ms
        .map(|ms| format!(" It resets in {}.", time_left(ms)))
        .unwrap_or_default();
    match n.kind {
        AlertKind::Reached(100..) => (
            format!("{who}: {} quota used up", n.window),
            format!("OmniRoute routes around this account until the window resets.{resets}"),
        ),
        AlertKind::Reached(level) => (
            format!("{who}: {} quota at {level} %", n.window),
            format!("Traffic moves to accounts with room before it runs out.{resets}"),
        ),
        AlertKind::Reset => (
            format!("{who}: {} quota reset", n.window),
            "The account serves again.".to_owned(),
        ),
    }
}

/// Sends a notification to the freedesktop notification service (`org.freedesktop.
/// Notifications`, which every Linux desktop runs).
#[cfg(target_os = "linux")]
fn show(_app: &AppHandle, title: &str, body: &str) -> Result<(), String> {
    use std::collections::HashMap;
    let bus = zbus::blocking::Connection::session().map_err(|e| e.to_string())?;
    let hints: HashMap<&str, zbus::zvariant::Value<'_>> = HashMap::new();
    bus.call_method(
        Some("org.freedesktop.Notifications"),
        "/org/freedesktop/Notifications",
        Some("org.freedesktop.Notifications"),
        "Notify",
        // app name, replaces id, icon, summary, body, actions, hints, timeout (server default).
        &(
            "OmniRoute",
            0u32,
            "omniroute",
            title,
            body,
            Vec::<&str>::new(),
            hints,
            -1i32,
        ),
    )
    .map(|_| ())
    .map_err(|e| e.to_string())
}

#[cfg(not(target_os = "linux"))]
fn show(app: &AppHandle, title: &str, body: &str) -> Result<(), String> {
    use tauri_plugin_notification::NotificationExt;
    app.notification()
        .builder()
        .title(title)
        .body(body)
        .show()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(kind: AlertKind, resets_in_ms: Option<u64>) -> QuotaNotice {
        QuotaNotice {
            provider: "Claude Code".into(),
            account: "work".into(),
            window: "5h".into(),
            kind,
            resets_in_ms,
        }
    }

    #[test]
    fn each_kind_is_worded_for_the_user() {
        assert_eq!(
            wording(&notice(AlertKind::Reached(80), Some(3_720_000))),
            (
                "Claude Code (work): 5h quota at 80 %".to_owned(),
                "Traffic moves to accounts with room before it runs out. It resets in 1h 02m."
                    .to_owned()
            )
        );
        let (title, body) = wording(&notice(AlertKind::Reached(100), None));
        assert_eq!(title, "Claude Code (work): 5h quota used up");
        assert!(!body.contains("resets in"), "{body}");
        assert_eq!(
            wording(&notice(AlertKind::Reset, None)).0,
            "Claude Code (work): 5h quota reset"
        );
    }
}
