//! Backups of the database: consistent copies taken with `VACUUM INTO` (never a file copy, which
//! could catch the WAL half-applied), a copy with every secret removed for sharing, and the
//! validated import of an uploaded copy (`import`). Scratch files live under `DATA_DIR/backups`
//! and are removed when their `TempFile` is dropped.

mod import;
mod transfer;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{AnyConnection, ConnectOptions, Connection, Executor, FromRow};

use crate::{Backend, Store, StoreError, new_id, now_ms};

pub use import::ImportReport;

/// Tables an uploaded database must have to be accepted.
pub const REQUIRED_TABLES: [&str; 4] = [
    "provider_connections",
    "provider_nodes",
    "combos",
    "api_keys",
];

/// Largest database an import accepts.
pub const MAX_IMPORT_BYTES: u64 = 100 * 1024 * 1024;

/// The settings section holding the dashboard password hash: never exported.
pub const AUTH_SECTION: &str = "auth";

/// Directory (inside `DATA_DIR`) of automatic backups and scratch files.
pub const BACKUPS_DIR: &str = "backups";

/// A scratch file removed, with the `-wal`, `-shm` and `-journal` files SQLite may have left
/// beside it, when dropped.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let mut paths = vec![self.path.clone()];
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            paths.push(PathBuf::from(name));
        }
        for path in paths {
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "cannot remove scratch file");
                }
            }
        }
    }
}

/// An API key without its hash: what a backup may show of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    pub key_hint: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// `20250102T030405Z`: the UTC time of `unix_ms`, safe in a file name on every platform.
pub fn utc_stamp(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Removes, at any depth, every object key that names a password or secret.
pub fn strip_secret_fields(value: &mut Value) -> bool {
    let mut changed = false;
    match value {
        Value::Object(map) => {
            let before = map.len();
            map.retain(|key, _| {
                let key = key.to_ascii_lowercase();
                !(key.contains("password") || key.contains("secret"))
            });
            changed |= map.len() != before;
            for v in map.values_mut() {
                changed |= strip_secret_fields(v);
            }
        }
        Value::Array(items) => {
            for v in items {
                changed |= strip_secret_fields(v);
            }
        }
        _ => {}
    }
    changed
}

pub(crate) fn utf8_path(path: &Path) -> Result<&str, StoreError> {
    path.to_str().ok_or_else(|| StoreError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path is not UTF-8"),
    })
}

/// `"name"`, for an identifier read from `sqlite_master`.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Store {
    /// `DATA_DIR/backups`, where automatic backups and scratch files go.
    pub fn backups_dir(&self) -> PathBuf {
        self.data_dir().join(BACKUPS_DIR)
    }

    /// A fresh, not yet created scratch path under `DATA_DIR/backups` (created if missing).
    pub fn temp_file(&self, purpose: &str, extension: &str) -> Result<TempFile, StoreError> {
        let dir = self.backups_dir();
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(TempFile {
            path: dir.join(format!(".{purpose}-{}.{extension}", new_id())),
        })
    }

    /// Writes a consistent copy of the live database to `dest`, which must not exist, in the
    /// portable format: a SQLite database of our schema, whichever engine the store is on.
    pub async fn vacuum_into(&self, dest: &Path) -> Result<(), StoreError> {
        match self.backend() {
            Backend::Sqlite => {
                sqlx::query("VACUUM INTO $1")
                    .bind(utf8_path(dest)?)
                    .execute(self.pool())
                    .await?;
            }
            Backend::Postgres => self.export_postgres(dest).await?,
        }
        crate::restrict_to_owner(dest);
        Ok(())
    }

    /// A PostgreSQL store copied row by row into a new SQLite file of the same schema version,
    /// read in one snapshot so the copy is consistent while the gateway keeps writing.
    async fn export_postgres(&self, dest: &Path) -> Result<(), StoreError> {
        if dest.exists() {
            return Err(StoreError::Io {
                path: dest.to_path_buf(),
                source: std::io::ErrorKind::AlreadyExists.into(),
            });
        }
        let mut file = AnyConnection::connect(&crate::sql::sqlite_url(dest, "rwc")).await?;
        let migrated = crate::SQLITE_MIGRATOR
            .run_direct(&mut file)
            .await
            .map_err(|source| StoreError::Migrate {
                location: dest.display().to_string(),
                source,
            });
        let result = match migrated {
            Ok(()) => self.copy_postgres_into(&mut file).await,
            Err(e) => Err(e),
        };
        if let Err(e) = file.close().await {
            tracing::warn!(error = %e, "closing the exported copy failed");
        }
        if result.is_err() {
            let _ = std::fs::remove_file(dest);
        }
        result
    }

    async fn copy_postgres_into(&self, file: &mut AnyConnection) -> Result<(), StoreError> {
        let tables = transfer::tables(file, Backend::Sqlite).await?;
        let mut src = self.pool().acquire().await?;
        src.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let mut dst = file.begin().await?;
        let mut copied = Ok(());
        for table in &tables {
            if let Err(e) =
                transfer::copy_rows(&mut src, &mut dst, &table.name, &table.columns).await
            {
                copied = Err(e);
                break;
            }
        }
        src.execute("ROLLBACK").await?;
        copied?;
        dst.commit().await?;
        Ok(())
    }

    /// A consistent copy of the whole database, secrets included (they stay encrypted or in the
    /// keychain, so the copy restores on this installation).
    pub async fn export_copy(&self) -> Result<TempFile, StoreError> {
        let copy = self.temp_file("export", "sqlite")?;
        self.vacuum_into(copy.path()).await?;
        Ok(copy)
    }

    /// A copy with every secret removed: the `secrets` table emptied (connections then name no
    /// secret), API key hashes replaced, the `auth` section dropped and password fields cut out of the other sections.
    /// The copy is vacuumed again so the deleted bytes do not linger in free pages.
    pub async fn export_redacted_copy(&self) -> Result<TempFile, StoreError> {
        let copy = self.export_copy().await?;
        let mut conn = SqliteConnectOptions::new()
            .filename(copy.path())
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Delete)
            .connect()
            .await?;
        let mut tx = conn.begin().await?;
        sqlx::query("UPDATE provider_connections SET secret_name = NULL")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM secrets").execute(&mut *tx).await?;
        // A key's HMAC would let its holder test guesses offline; ids stay unique.
        sqlx::query("UPDATE api_keys SET key_hash = 'redacted:' || id")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(AUTH_SECTION)
            .execute(&mut *tx)
            .await?;
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
            .fetch_all(&mut *tx)
            .await?;
        for (key, raw) in rows {
            match serde_json::from_str::<Value>(&raw) {
                Ok(mut value) => {
                    if strip_secret_fields(&mut value) {
                        sqlx::query("UPDATE settings SET value = $1 WHERE key = $2")
                            .bind(value.to_string())
                            .bind(&key)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                // A row that is not JSON cannot be scrubbed field by field: it goes whole.
                Err(_) => {
                    sqlx::query("DELETE FROM settings WHERE key = $1")
                        .bind(&key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        sqlx::query("VACUUM").execute(&mut conn).await?;
        conn.close().await?;
        Ok(copy)
    }

    /// Every settings section except `auth`, with password fields removed: what may leave the
    /// machine.
    pub async fn shareable_settings(&self) -> Result<BTreeMap<String, Value>, StoreError> {
        let mut sections = self.settings_sections().await?;
        sections.remove(AUTH_SECTION);
        for value in sections.values_mut() {
            strip_secret_fields(value);
        }
        Ok(sections)
    }

    /// API keys without their hashes, oldest first.
    pub async fn api_key_records(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, key_hint, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at, id",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// A path for an automatic backup named `<prefix>-<UTC time>.sqlite` that does not exist yet.
    pub(crate) fn backup_path(&self, prefix: &str) -> Result<PathBuf, StoreError> {
        let dir = self.backups_dir();
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let stamp = utc_stamp(now_ms());
        let mut path = dir.join(format!("{prefix}-{stamp}.sqlite"));
        let mut n = 2;
        while path.exists() {
            path = dir.join(format!("{prefix}-{stamp}-{n}.sqlite"));
            n += 1;
        }
        Ok(path)
    }
}

#[cfg(test)]
mod tests;
