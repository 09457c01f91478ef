//! Command-line parsing for `omniroute`. Small enough to do by hand, which keeps start-up fast
//! and the binary small.

use std::path::PathBuf;

use omniroute_gateway::Overrides;

pub const USAGE: &str = "\
Usage: omniroute [serve] [--port PORT] [--host ADDRESS] [--data-dir DIR]
       omniroute quota [--port PORT] [--host ADDRESS]
       omniroute login PROVIDER [--device | --paste | --browser] [--name NAME] [--port PORT]
       omniroute run [--model MODEL] [--port PORT] TOOL [ARGS...]
       omniroute env [--model MODEL] [--shell sh|fish|powershell] [--port PORT] TOOL
       omniroute --version | --help

Commands:
  serve        run the gateway and dashboard (the default)
  quota        print each account's quota windows, from the running gateway
  login        sign a subscription account in (cc, cx, gc, gh, kr…) through the running
               gateway: prints the address or code, waits, names the account connected
  run          start a coding tool (claude-code, codex, gemini-cli, opencode) pointed at the
               running gateway for this one run, with its own key; writes none of its
               configuration. MODEL: a model or combo (default: the active combo)
  env          print the exports that point a shell's tools at the running gateway

Flags override the environment variables PORT, HOSTNAME and DATA_DIR.
Other settings come from the environment: JWT_SECRET, INITIAL_PASSWORD, BASE_URL, CLOUD_URL,
API_KEY_SECRET, REQUIRE_API_KEY, ENABLE_REQUEST_LOGS, AUTH_COOKIE_SECURE, OMNIROUTE_SECRETS,
SHUTDOWN_TIMEOUT, RUST_LOG. `quota`, `login`, `run` and `env` read OMNIROUTE_PASSWORD when the
gateway wants a dashboard session.";

#[derive(Debug)]
pub enum Command {
    Serve(Overrides),
    /// Print the quota windows of the gateway on these host/port overrides.
    Quota(Overrides),
    Login(crate::login::LoginArgs),
    /// Start a tool pointed at the gateway.
    Run(crate::launch::LaunchArgs),
    /// Print the exports that point a shell's tools at the gateway.
    Env(crate::launch::LaunchArgs),
    Help,
    Version,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter().peekable();
    if let Some(which @ ("run" | "env")) = args.peek().map(String::as_str) {
        let run = which == "run";
        args.next();
        let launch = parse_launch(args, run)?;
        return Ok(if run {
            Command::Run(launch)
        } else {
            Command::Env(launch)
        });
    }
    let quota = args.peek().is_some_and(|a| a == "quota");
    let login = args.peek().is_some_and(|a| a == "login");
    if args
        .peek()
        .is_some_and(|a| a == "serve" || a == "quota" || a == "login")
    {
        args.next();
    }
    let mut sign_in = crate::login::LoginArgs::default();
    if login {
        match args.next() {
            Some(provider) if !provider.starts_with('-') => sign_in.provider = provider,
            _ => return Err("login needs a provider id (e.g. omniroute login cc)".into()),
        }
    }
    let mut overrides = Overrides::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = split_flag(&arg);
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" | "help" => return Ok(Command::Help),
            "-V" | "--version" | "version" => return Ok(Command::Version),
            "--port" | "-p" => overrides.port = Some(value("--port")?),
            "--host" | "--hostname" => overrides.host = Some(value("--host")?),
            "--data-dir" => overrides.data_dir = Some(PathBuf::from(value("--data-dir")?)),
            "--device" | "--paste" | "--browser" if login => {
                sign_in.flow = Some(flag.trim_start_matches("--").to_owned());
            }
            "--name" if login => sign_in.name = Some(value("--name")?),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(if login {
        sign_in.overrides = overrides;
        Command::Login(sign_in)
    } else if quota {
        Command::Quota(overrides)
    } else {
        Command::Serve(overrides)
    })
}

/// `--flag=value` as the flag and its value; anything else as itself.
fn split_flag(arg: &str) -> (String, Option<String>) {
    match arg.split_once('=') {
        Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
        _ => (arg.to_owned(), None),
    }
}

/// `run`/`env`: omniroute's flags, then the tool, then (for `run`) the tool's own arguments
/// untouched — a tool's `--model` is its own.
fn parse_launch(
    mut args: impl Iterator<Item = String>,
    run: bool,
) -> Result<crate::launch::LaunchArgs, String> {
    let mut launch = crate::launch::LaunchArgs::default();
    while let Some(arg) = args.next() {
        let (flag, inline) = split_flag(&arg);
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--model" | "-m" => launch.model = Some(value("--model")?),
            "--shell" if !run => launch.shell = Some(value("--shell")?),
            "--port" | "-p" => launch.overrides.port = Some(value("--port")?),
            "--host" | "--hostname" => launch.overrides.host = Some(value("--host")?),
            other if other.starts_with('-') => {
                return Err(format!(
                    "unknown argument '{other}' (the tool comes before its own flags)"
                ));
            }
            _ => {
                launch.tool = arg;
                break;
            }
        }
    }
    if launch.tool.is_empty() {
        return Err("name the tool: claude-code, codex, gemini-cli or opencode".into());
    }
    launch.args = args.collect();
    if !run && !launch.args.is_empty() {
        return Err(format!("unknown argument '{}'", launch.args[0]));
    }
    Ok(launch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn login_takes_a_provider_and_a_flow() {
        let Command::Login(l) = parse(args("login cx --device --name work --port 9")).unwrap()
        else {
            panic!("not login");
        };
        assert_eq!(l.provider, "cx");
        assert_eq!(l.flow.as_deref(), Some("device"));
        assert_eq!(l.name.as_deref(), Some("work"));
        assert_eq!(l.overrides.port.as_deref(), Some("9"));
        assert!(parse(args("login")).is_err());
        assert!(parse(args("login --device")).is_err());
        assert!(parse(args("serve --device")).is_err());
    }

    #[test]
    fn run_passes_everything_after_the_tool_to_it() {
        let Command::Run(r) =
            parse(args("run --model cheap --port 9 claude -p hi --model opus")).unwrap()
        else {
            panic!("not run");
        };
        assert_eq!(
            (r.tool.as_str(), r.model.as_deref()),
            ("claude", Some("cheap"))
        );
        assert_eq!(r.overrides.port.as_deref(), Some("9"));
        assert_eq!(r.args, ["-p", "hi", "--model", "opus"]);
        let Command::Env(e) = parse(args("env --shell=fish codex")).unwrap() else {
            panic!("not env");
        };
        assert_eq!(
            (e.tool.as_str(), e.shell.as_deref()),
            ("codex", Some("fish"))
        );
        assert!(parse(args("run")).is_err());
        assert!(parse(args("run --bogus claude")).is_err());
        assert!(parse(args("env codex extra")).is_err());
        assert!(parse(args("run --shell fish claude")).is_err());
    }

    #[test]
    fn flags_in_both_spellings() {
        let Command::Serve(o) = parse(args("serve --port 1 --host=::1 --data-dir /d")).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (o.port.as_deref(), o.host.as_deref()),
            (Some("1"), Some("::1"))
        );
        assert_eq!(o.data_dir, Some(PathBuf::from("/d")));
        assert!(matches!(parse(args("")).unwrap(), Command::Serve(_)));
        assert!(matches!(
            parse(args("--version")).unwrap(),
            Command::Version
        ));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            parse(args("serve --prot 1")).unwrap_err(),
            "unknown argument '--prot'"
        );
        assert_eq!(
            parse(args("serve --port")).unwrap_err(),
            "--port needs a value"
        );
    }
}
