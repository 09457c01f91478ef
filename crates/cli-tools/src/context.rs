//! Where the user's tools live: the home directory, the environment and the PATH, passed in so
//! nothing here reads the process's own (tests point it at a temporary directory).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The operating system whose conventions locate config files and executables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
    /// Another Unix: Linux's conventions.
    OtherUnix,
}

impl Os {
    /// The OS this program was built for.
    pub fn current() -> Self {
        if cfg!(target_os = "windows") {
            Self::Windows
        } else if cfg!(target_os = "macos") {
            Self::MacOs
        } else if cfg!(target_os = "linux") {
            Self::Linux
        } else {
            Self::OtherUnix
        }
    }
}

/// The user's home, environment and PATH, as the tools would see them. `Debug` lists the
/// variables' names only: their values may be keys.
#[derive(Clone)]
pub struct Context {
    pub home: PathBuf,
    pub env: HashMap<String, String>,
    pub path_dirs: Vec<PathBuf>,
    pub os: Os,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.env.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Context")
            .field("home", &self.home)
            .field("env", &names)
            .field("path_dirs", &self.path_dirs)
            .field("os", &self.os)
            .finish()
    }
}

impl Context {
    /// This process's user: the one place the real environment is read. `None` without a home.
    pub fn from_process() -> Option<Self> {
        let env: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let os = Os::current();
        let home_var = if os == Os::Windows {
            "USERPROFILE"
        } else {
            "HOME"
        };
        let home = env
            .get(home_var)
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)?;
        let path_dirs = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        Some(Self {
            home,
            env,
            path_dirs,
            os,
        })
    }

    /// A variable's value; unset and empty are the same, as for the tools.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A directory named by a variable, or `default` under the home directory.
    pub(crate) fn dir_from(&self, var: &str, default: &[&str]) -> PathBuf {
        match self.var(var) {
            Some(dir) => PathBuf::from(dir),
            None => default
                .iter()
                .fold(self.home.clone(), |p, part| p.join(part)),
        }
    }

    /// `$XDG_CONFIG_HOME`, or `~/.config` (the tools that follow XDG do so on every OS).
    pub(crate) fn xdg_config_home(&self) -> PathBuf {
        self.dir_from("XDG_CONFIG_HOME", &[".config"])
    }

    /// Where desktop applications keep their settings: `%APPDATA%`, `~/Library/Application
    /// Support`, or the XDG config directory.
    pub(crate) fn app_config_dir(&self) -> PathBuf {
        match self.os {
            Os::Windows => self.dir_from("APPDATA", &["AppData", "Roaming"]),
            Os::MacOs => self.home.join("Library").join("Application Support"),
            Os::Linux | Os::OtherUnix => self.xdg_config_home(),
        }
    }

    /// The first executable named `name` on the PATH (with Windows' executable extensions).
    pub(crate) fn find_executable(&self, name: &str) -> Option<PathBuf> {
        let names: Vec<String> = match self.os {
            Os::Windows => ["exe", "cmd", "bat", "com"]
                .iter()
                .map(|ext| format!("{name}.{ext}"))
                .collect(),
            _ => vec![name.to_owned()],
        };
        self.path_dirs
            .iter()
            .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
            .find(|candidate| is_executable(candidate))
    }
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}
