//! Command-line parsing for `omniroute`. Small enough to do by hand, which keeps start-up fast
//! and the binary small.

use std::path::PathBuf;

use omniroute_gateway::Overrides;

pub const USAGE: &str = "\
Usage: omniroute [serve] [--port PORT] [--host ADDRESS] [--data-dir DIR]
       omniroute quota [--port PORT] [--host ADDRESS]
       omniroute login PROVIDER [--device | --paste | --browser] [--name NAME] [--port PORT]
       omniroute --version | --help

Commands:
  serve        run the gateway and dashboard (the default)
  quota        print each account's quota windows, from the running gateway
  login        sign a subscription account in (cc, cx, gc, gh, kr…) through the running
               gateway: prints the address or code, waits, names the account connected

Flags override the environment variables PORT, HOSTNAME and DATA_DIR.
Other settings come from the environment: JWT_SECRET, INITIAL_PASSWORD, BASE_URL, CLOUD_URL,
API_KEY_SECRET, REQUIRE_API_KEY, ENABLE_REQUEST_LOGS, AUTH_COOKIE_SECURE, OMNIROUTE_SECRETS,
SHUTDOWN_TIMEOUT, RUST_LOG. `quota` and `login` read OMNIROUTE_PASSWORD when the gateway
wants a dashboard session.";

#[derive(Debug)]
pub enum Command {
    Serve(Overrides),
    /// Print the quota windows of the gateway on these host/port overrides.
    Quota(Overrides),
    Login(crate::login::LoginArgs),
    Help,
    Version,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter().peekable();
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
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
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
