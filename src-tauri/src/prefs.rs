//! What the desktop app remembers that the gateway's own settings do not hold: the port picked
//! after a conflict at start. One small JSON file, `DATA_DIR/desktop.json`, replaced atomically.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prefs {
    /// Listen here instead of the default port (set after the default was taken).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("desktop.json")
}

/// The saved preferences; a missing or unreadable file is the defaults (and says so in the log).
pub fn load(data_dir: &Path) -> Prefs {
    let path = file(data_dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(path = %path.display(), error = %e, "ignoring unreadable desktop preferences");
            Prefs::default()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Prefs::default(),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read desktop preferences");
            Prefs::default()
        }
    }
}

pub fn save(data_dir: &Path, prefs: &Prefs) -> std::io::Result<()> {
    let path = file(data_dir);
    let tmp = path.with_extension("json.tmp");
    let body = serde_json::to_vec_pretty(prefs).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, &path)
}

/// Ports to offer when `taken` is busy: the next ten, in order.
pub fn alternatives(taken: u16) -> impl Iterator<Item = u16> {
    (1..=10u16).filter_map(move |step| taken.checked_add(step))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn a_saved_port_is_loaded_back_and_junk_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Prefs::default());
        save(dir.path(), &Prefs { port: Some(20129) }).unwrap();
        assert_eq!(load(dir.path()).port, Some(20129));
        std::fs::write(dir.path().join("desktop.json"), b"{not json").unwrap();
        assert_eq!(load(dir.path()), Prefs::default());
    }

    #[test]
    fn alternatives_follow_the_taken_port_and_stop_at_the_top() {
        assert_eq!(
            alternatives(20128).collect::<Vec<_>>(),
            (20129..=20138).collect::<Vec<_>>()
        );
        assert_eq!(alternatives(65534).collect::<Vec<_>>(), [65535]);
    }
}
