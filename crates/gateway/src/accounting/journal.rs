//! The usage journal (`DATA_DIR/usage.journal`): every row is appended here, one JSON line,
//! before the request's answer leaves, and the file is emptied whenever everything appended is
//! in the database. A gateway killed outright (no shutdown, no flush) thus leaves its unstored
//! rows behind, and the next start stores them; rows that were stored already carry the same
//! `uid` and are not doubled. Appends go to the OS (no fsync): they survive the process, not a
//! power cut.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use omniroute_store::usage::{BodyLog, UsageRow};
use serde::{Deserialize, Serialize};

pub const FILE: &str = "usage.journal";
/// Rows left by an earlier run, waiting to be stored at start.
const LEFT: &str = "usage.journal.left";

#[derive(Serialize, Deserialize)]
struct Line {
    uid: String,
    row: UsageRow,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    log: Option<BodyLog>,
}

struct Open {
    file: File,
    /// Rows appended, and of those, stored.
    appended: u64,
    stored: u64,
}

pub struct Journal {
    path: PathBuf,
    open: Mutex<Option<Open>>,
}

impl Journal {
    /// Sets aside what an earlier run left (to be read by `left_behind`) and opens a fresh
    /// journal. A journal that cannot be opened is reported once; rows are then only queued.
    pub fn open(data_dir: &Path) -> Self {
        let path = data_dir.join(FILE);
        let left = data_dir.join(LEFT);
        let had_rows = std::fs::metadata(&path).is_ok_and(|m| m.len() > 0);
        if had_rows && !left.exists() {
            if let Err(e) = std::fs::rename(&path, &left) {
                tracing::error!(error = %e, "cannot set the usage journal aside");
            }
        }
        let open = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map(|file| {
                omniroute_store::restrict_to_owner(&path);
                Open {
                    file,
                    appended: 0,
                    stored: 0,
                }
            })
            .map_err(|e| tracing::error!(error = %e, path = %path.display(), "cannot open the usage journal; a crash would lose unstored rows"))
            .ok();
        Self {
            path,
            open: Mutex::new(open),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Open>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends a row (giving it its `uid`).
    pub fn append(&self, row: &mut UsageRow, log: Option<&BodyLog>) {
        let uid = omniroute_store::new_id() + &omniroute_store::new_id();
        row.uid = Some(uid.clone());
        let line = Line {
            uid,
            row: row.clone(),
            log: log.cloned(),
        };
        let Ok(mut bytes) = serde_json::to_vec(&line) else {
            return;
        };
        bytes.push(b'\n');
        let mut open = self.lock();
        if let Some(open) = open.as_mut() {
            match open.file.write_all(&bytes) {
                Ok(()) => open.appended += 1,
                Err(e) => tracing::warn!(error = %e, "cannot append to the usage journal"),
            }
        }
    }

    /// `n` more journaled rows are in the database; when that is all of them, the journal is
    /// emptied.
    pub fn stored(&self, n: u64) {
        let mut open = self.lock();
        let Some(open) = open.as_mut() else { return };
        open.stored = (open.stored + n).min(open.appended);
        if open.stored == open.appended && open.appended > 0 {
            match open.file.set_len(0) {
                Ok(()) => {
                    open.appended = 0;
                    open.stored = 0;
                }
                Err(e) => {
                    tracing::warn!(error = %e, path = %self.path.display(), "cannot empty the usage journal")
                }
            }
        }
    }
}

/// The rows an earlier run journaled and perhaps did not store; a torn last line is skipped.
pub fn left_behind(data_dir: &Path) -> Vec<(UsageRow, Option<BodyLog>)> {
    let Ok(file) = File::open(data_dir.join(LEFT)) else {
        return Vec::new();
    };
    BufReader::new(file)
        .split(b'\n')
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_slice::<Line>(&line).ok())
        .map(|line| {
            let mut row = line.row;
            row.uid = Some(line.uid);
            row.id = None;
            (row, line.log)
        })
        .collect()
}

/// The rows set aside are all stored: forget them.
pub fn forget_left_behind(data_dir: &Path) {
    let path = data_dir.join(LEFT);
    if let Err(e) = std::fs::remove_file(&path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, path = %path.display(), "cannot remove the replayed usage journal");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(model: &str) -> UsageRow {
        UsageRow {
            model: model.into(),
            client_format: "openai".into(),
            status: 200,
            ..UsageRow::default()
        }
    }

    #[test]
    fn rows_left_unstored_come_back_with_their_uid_once() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path());
        let mut a = row("a");
        let mut b = row("b");
        journal.append(&mut a, None);
        journal.append(&mut b, Some(&BodyLog::default()));
        journal.stored(1);
        // A torn line, as a kill in the middle of a write leaves.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE))
            .unwrap();
        file.write_all(b"{\"uid\":\"x\",\"row\":{").unwrap();
        drop(journal);
        let _next = Journal::open(dir.path());
        let left = left_behind(dir.path());
        assert_eq!(
            left.len(),
            2,
            "one stored is replayed too: its uid makes it harmless"
        );
        assert_eq!(left[0].0.uid, a.uid);
        assert_eq!((left[1].0.model.as_str(), left[1].1.is_some()), ("b", true));
        forget_left_behind(dir.path());
        assert!(left_behind(dir.path()).is_empty());
    }

    #[test]
    fn the_journal_empties_once_everything_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(dir.path());
        for _ in 0..3 {
            journal.append(&mut row("m"), None);
        }
        journal.stored(2);
        assert!(std::fs::metadata(dir.path().join(FILE)).unwrap().len() > 0);
        journal.stored(1);
        assert_eq!(std::fs::metadata(dir.path().join(FILE)).unwrap().len(), 0);
        drop(journal);
        let _again = Journal::open(dir.path());
        assert!(
            left_behind(dir.path()).is_empty(),
            "nothing to replay after a clean stop"
        );
    }
}
