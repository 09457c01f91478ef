//! The dashboard window. It runs in a process of its own — this binary started with
//! `--dashboard-window <url>` — that loads the dashboard from the in-process gateway, exactly
//! what a browser gets. Closing the window ends that process, and with it everything the webview
//! loaded (WebKit's libraries, caches and helper processes, well over 100 MB resident), so the
//! app idling in the tray costs the gateway and the tray only. "Open dashboard" starts a new
//! window process, or brings the open one to the front.
//!
//! The window process reads commands on stdin (`focus`, `page <name>`) and quits when stdin
//! closes, so it never outlives the app.

use std::io::{BufRead, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindowBuilder};

use crate::gateway::GatewayCell;

/// The flag that turns this binary into the window process.
pub const WINDOW_FLAG: &str = "--dashboard-window";
const LABEL: &str = "dashboard";

/// The open window's process, if any (managed by Tauri in the main process): the pipe to its
/// stdin, and whether it still runs. A thread waits for it, so an exited window process is
/// reaped at once.
#[derive(Default)]
pub struct WindowProcess(Mutex<Option<(ChildStdin, Arc<AtomicBool>)>>);

impl WindowProcess {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(ChildStdin, Arc<AtomicBool>)>> {
        omniroute_gateway::health::lock(&self.0)
    }

    /// Closes the window: its process ends when its stdin does.
    pub fn close(&self) {
        self.lock().take();
    }
}

/// Opens the dashboard window, or focuses the one that is open.
pub fn open(app: &AppHandle) {
    open_at(app, None);
}

/// Opens the dashboard (or brings it to the front) on `page` (`cli-tools`, …), or where it is.
pub fn open_at(app: &AppHandle, page: Option<&str>) {
    let windows = app.state::<WindowProcess>();
    let mut slot = windows.lock();
    if let Some((stdin, alive)) = slot.as_mut() {
        let command = match page {
            Some(page) => format!("focus\npage {page}"),
            None => "focus".to_owned(),
        };
        if alive.load(Ordering::Acquire)
            && writeln!(stdin, "{command}")
                .and_then(|()| stdin.flush())
                .is_ok()
        {
            return;
        }
        *slot = None;
    }
    let Some(running) = app.state::<GatewayCell>().running() else {
        tracing::info!("the dashboard opens once the gateway runs");
        return;
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            tracing::error!(error = %e, "cannot find this program to open the window");
            return;
        }
    };
    let fragment = page.map(|p| format!("#/{p}")).unwrap_or_default();
    let spawned = Command::new(exe)
        .arg(WINDOW_FLAG)
        .arg(format!("{}/{fragment}", running.origin()))
        .stdin(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            tracing::error!(error = %e, "cannot open the dashboard window");
            return;
        }
    };
    let Some(stdin) = child.stdin.take() else {
        let _ = child.kill();
        return;
    };
    tracing::info!(pid = child.id(), "dashboard window opened");
    let alive = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&alive);
    std::thread::spawn(move || {
        let _ = child.wait();
        flag.store(false, Ordering::Release);
        tracing::info!("dashboard window closed");
    });
    *slot = Some((stdin, alive));
}

/// The window process: one window on `url`; exits when it is closed or stdin ends.
pub fn run_window_process(url: &str, context: tauri::Context<tauri::Wry>) -> Result<(), String> {
    let url: Url = url
        .parse()
        .map_err(|e| format!("bad dashboard URL {url}: {e}"))?;
    let app = tauri::Builder::default()
        .setup(move |app| {
            WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(url))
                .title("OmniRoute")
                .inner_size(1280.0, 800.0)
                .min_inner_size(800.0, 600.0)
                // A page the dashboard opens in a new window (a provider's sign-in page) goes
                // to the system browser, where the user is signed in to the provider.
                .on_new_window(|url, _| {
                    system_browser(url.as_str());
                    tauri::webview::NewWindowResponse::Deny
                })
                .build()?;
            let handle = app.handle().clone();
            std::thread::spawn(move || follow_parent(&handle));
            Ok(())
        })
        .build(context)
        .map_err(|e| e.to_string())?;
    app.run(|_, _| {});
    Ok(())
}

/// Opens `url` in the user's default browser. Only web addresses are handed on.
fn system_browser(url: &str) {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        tracing::warn!("refused to open a non-web address from the dashboard");
        return;
    }
    let mut command = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(target_os = "windows") {
        let mut c = Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        Command::new("xdg-open")
    };
    match command.arg(url).stdin(Stdio::null()).spawn() {
        // Reaped off this thread: the opener returns once the browser has the address.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::warn!(error = %e, "cannot open the system browser"),
    }
}

/// Obeys the main process's commands; its end (the app quit or crashed) closes the window.
fn follow_parent(app: &AppHandle) {
    for line in std::io::stdin().lock().lines() {
        match line.as_deref() {
            Ok("focus") => {
                if let Some(window) = app.get_webview_window(LABEL) {
                    let _ = window.unminimize();
                    let _ = window.show();
                    let _ = window.set_focus();
                }
            }
            Ok(line) if line.starts_with("page ") => {
                let page = &line["page ".len()..];
                // Page names are the dashboard's routes: letters, dashes and a `?tab=` query.
                if let Some(window) = app.get_webview_window(LABEL)
                    && !page.is_empty()
                    && page
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || matches!(c, '-' | '?' | '='))
                {
                    let _ = window.eval(format!("location.hash = '#/{page}'"));
                }
            }
            Ok(other) => tracing::debug!(command = other, "unknown window command"),
            Err(_) => break,
        }
    }
    app.exit(0);
}
