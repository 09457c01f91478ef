//! `omniroute-desktop`: the OmniRoute gateway in-process (on this app's Tokio runtime, no child
//! process), its dashboard in a window and a tray to switch combos and watch provider health.
//! The shell holds no gateway logic: tray actions call the functions the management API calls.
//! Closing the window keeps the app in the tray; a second launch focuses the first. The same
//! binary, started with `--dashboard-window <url>`, is the window process (see `window`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod actions;
mod gateway;
mod menu;
mod notify;
mod prefs;
mod signals;
mod tray;
mod updater;
mod window;

use std::process::ExitCode;

use tauri::{AppHandle, Manager, RunEvent};
use tauri_plugin_autostart::MacosLauncher;
use tauri_plugin_dialog::{DialogExt, MessageDialogKind};

use crate::gateway::{GatewayCell, StartFailure};
use crate::updater::DesktopUpdater;

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Given when the app is started at login: stay in the tray.
const MINIMIZED: &str = "--minimized";

fn main() -> ExitCode {
    skip_gtk_gl();
    init_logging();
    if let Err(message) = check_display() {
        eprintln!("omniroute-desktop: {message}");
        return ExitCode::FAILURE;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    #[allow(
        clippy::disallowed_methods,
        reason = "tauri's generated context exits on a broken embedded asset"
    )]
    let mut context = tauri::generate_context!();
    if let [flag, url] = args.as_slice()
        && flag == window::WINDOW_FLAG
    {
        return match window::run_window_process(url, context) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("omniroute-desktop: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let minimized = args.iter().any(|arg| arg == MINIMIZED);
    allow_loopback_update_feed(&mut context);
    let builder = tauri::Builder::default()
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
        .plugin(tauri_plugin_updater::Builder::new().build());
    #[cfg(not(target_os = "linux"))]
    let builder = builder.plugin(tauri_plugin_notification::init());
    let built = builder
        .manage(GatewayCell::default())
        .manage(window::WindowProcess::default())
        .setup(move |app| {
            let updater = DesktopUpdater::new(app.handle().clone());
            app.manage(updater.clone());
            tray::create(app.handle())?;
            signals::quit_on_termination(app.handle());
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(start(handle, updater, minimized));
            Ok(())
        })
        .build(context);
    let app = match built {
        Ok(app) => app,
        Err(e) => {
            eprintln!("omniroute-desktop: {e}");
            return ExitCode::FAILURE;
        }
    };
    app.run(|app, event| match event {
        // The app lives in the tray until Quit, with or without a window.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => api.prevent_exit(),
        RunEvent::Exit => app.state::<window::WindowProcess>().close(),
        _ => {}
    });
    ExitCode::SUCCESS
}

async fn start(app: AppHandle, updater: DesktopUpdater, minimized: bool) {
    let cell = app.state::<GatewayCell>();
    match gateway::start(&app, &cell, updater).await {
        Ok(running) => {
            println!("OmniRoute listening on {}", running.origin());
            tray::refresh(&app).await;
            notify::watch(&app);
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
                .message(format!(
                    "The OmniRoute gateway could not start:\n\n{reason}"
                ))
                .title("OmniRoute")
                .kind(MessageDialogKind::Error)
                .show(|_| {});
        }
    }
}

/// GTK probes OpenGL when it starts, which loads the GPU driver (Mesa's with LLVM: 40+ MB
/// resident) though the app draws nothing with GDK's GL — the webview renders through its own
/// process. `GDK_GL=disable` skips the probe; GTK reads it once, at start, so the app re-executes
/// itself with it set (the process is replaced, not forked). Setting it in-process would need
/// `unsafe` (`std::env::set_var`), which this workspace forbids. Linux only: elsewhere there is
/// no GTK.
#[cfg(target_os = "linux")]
fn skip_gtk_gl() {
    if std::env::var_os("GDK_GL").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let error = std::os::unix::process::CommandExt::exec(
        std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("GDK_GL", "disable"),
    );
    eprintln!("omniroute-desktop: cannot re-execute with GDK_GL=disable ({error}); starting as is");
}

#[cfg(not(target_os = "linux"))]
fn skip_gtk_gl() {}

/// The tray and the window need a graphical session. Without one (a server, an SSH shell) tao
/// panics when it starts GTK; initialising GTK here first, on the main thread tao uses too, turns
/// that into a message that names the headless way to run the gateway.
#[cfg(target_os = "linux")]
fn check_display() -> Result<(), String> {
    gtk::init().map_err(|_| {
        let display = std::env::var("WAYLAND_DISPLAY")
            .or_else(|_| std::env::var("DISPLAY"))
            .map_or_else(
                |_| "neither DISPLAY nor WAYLAND_DISPLAY is set".to_owned(),
                |d| format!("cannot open the display {d:?}"),
            );
        format!(
            "no graphical session ({display}). The desktop app shows a tray icon and a window; \
             on a server or without a display, run the gateway alone: omniroute serve"
        )
    })
}

#[cfg(not(target_os = "linux"))]
fn check_display() -> Result<(), String> {
    Ok(())
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
