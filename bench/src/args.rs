//! A minimal `--name value` flag parser for the two binaries (no dependency needed for a
//! handful of numeric flags).

use std::collections::HashMap;
use std::str::FromStr;

/// Flags given as `--name value` or `--name=value`; a flag without a value is `"true"`.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, String>,
}

impl Args {
    /// Parses `args` (without the program name).
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut values = HashMap::new();
        let mut iter = args.into_iter().peekable();
        while let Some(arg) = iter.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument '{arg}'"));
            };
            if let Some((name, value)) = name.split_once('=') {
                values.insert(name.to_owned(), value.to_owned());
                continue;
            }
            let value = match iter.peek() {
                Some(next) if !next.starts_with("--") => iter.next().unwrap_or_default(),
                _ => "true".to_owned(),
            };
            values.insert(name.to_owned(), value);
        }
        Ok(Self { values })
    }

    /// The flag's value parsed as `T`, or `default` when absent.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.values.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: cannot parse '{v}'")),
        }
    }

    /// The flag's value as a string, if given.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings_and_bare_flags() {
        let args = ["--rate", "100", "--url=http://x/y", "--stream", "--n", "3"].map(String::from);
        let args = Args::parse(args).unwrap();
        assert_eq!(args.get("rate", 0u32).unwrap(), 100);
        assert_eq!(args.text("url"), Some("http://x/y"));
        assert!(args.get("stream", false).unwrap());
        assert_eq!(args.get("n", 0u8).unwrap(), 3);
        assert_eq!(args.get("missing", 7u8).unwrap(), 7);
        assert!(args.get::<u8>("url", 0).is_err());
    }

    #[test]
    fn rejects_positional_arguments() {
        assert!(Args::parse(["x".to_owned()]).is_err());
    }
}
