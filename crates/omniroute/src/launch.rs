//! `omniroute run <tool> [args…]` and `omniroute env <tool>`: a coding tool pointed at the
//! running gateway for one invocation, writing none of its configuration. The gateway says how
//! (`POST /api/cli-tools/{tool}/launch`: variables, arguments, the tool's own key); `run` starts
//! the tool with them in place of this process, `env` prints them for a shell.

use std::path::PathBuf;
use std::process::ExitCode;

use omniroute_cli_tools::{Launch, Shell};
use omniroute_gateway::Overrides;
use serde_json::json;

#[derive(Debug, Default)]
pub struct LaunchArgs {
    pub tool: String,
    pub model: Option<String>,
    pub shell: Option<String>,
    /// The tool's own arguments (`run`).
    pub args: Vec<String>,
    pub overrides: Overrides,
}

/// `omniroute run`: replaces this process with the tool (its exit status is the tool's).
pub fn run(args: &LaunchArgs) -> ExitCode {
    let launch = match prepare(args) {
        Ok(launch) => launch,
        Err(message) => {
            eprintln!("omniroute: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(note) = launch.note.as_deref().filter(|_| !launch.complete) {
        eprintln!("omniroute: note: {note}");
    }
    let mut command = std::process::Command::new(&launch.command);
    command.args(&launch.args_prefix).args(&args.args);
    for name in &launch.unset {
        command.env_remove(name);
    }
    command.envs(launch.env.iter().map(|(k, v)| (k, v)));
    let error = start(&mut command);
    eprintln!(
        "omniroute: cannot start {} ({error}); is it installed and on the PATH?",
        launch.command
    );
    ExitCode::from(127)
}

/// `omniroute env`: the exports for a shell, on stdout.
pub fn print(args: &LaunchArgs) -> ExitCode {
    let shell = match args.shell.as_deref() {
        None | Some("sh" | "bash" | "zsh" | "posix") => Shell::Posix,
        Some("fish") => Shell::Fish,
        Some("powershell" | "pwsh") => Shell::PowerShell,
        Some(other) => {
            eprintln!("omniroute: unknown shell '{other}' (sh, fish or powershell)");
            return ExitCode::FAILURE;
        }
    };
    match prepare(args) {
        Ok(launch) => {
            print!("{}", launch.shell_exports(shell));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("omniroute: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The launch, with its side file written.
fn prepare(args: &LaunchArgs) -> Result<Launch, String> {
    let mut launch: Launch = crate::remote::block_on(async {
        let gateway = crate::remote::Gateway::connect(&args.overrides).await?;
        let body = match &args.model {
            Some(model) => json!({ "model": model }),
            None => json!({}),
        };
        let answer = gateway
            .call(
                reqwest::Method::POST,
                &format!("/api/cli-tools/{}/launch", args.tool),
                Some(body),
            )
            .await?;
        serde_json::from_value(answer).map_err(|e| format!("unexpected answer: {e}"))
    })?;
    if let Some(file) = launch.side_file.clone() {
        let path = runtime_dir()?.join(&file.name);
        write_private(&path, file.content.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        launch.side_file_written(&path);
    }
    Ok(launch)
}

/// This user's own directory for files that only live while tools run.
fn runtime_dir() -> Result<PathBuf, String> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .or_else(|| std::env::var_os("LOCALAPPDATA").map(PathBuf::from))
        .ok_or("no runtime, home or local app data directory to write to")?;
    Ok(base.join("omniroute"))
}

/// Writes `bytes` readable by this user only, replacing the file whole.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(bytes)?;
    }
    #[cfg(not(unix))]
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Replaces this process with the tool (Unix), so signals and the terminal are the tool's;
/// elsewhere runs it and exits with its status. Returns only when it could not start.
#[cfg(unix)]
fn start(command: &mut std::process::Command) -> std::io::Error {
    std::os::unix::process::CommandExt::exec(command)
}

#[cfg(not(unix))]
fn start(command: &mut std::process::Command) -> std::io::Error {
    match command.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => e,
    }
}
