//! OmniRoute's persistent state: one SQLite file (`DATA_DIR/storage.sqlite`, WAL) with numbered
//! migrations, one module per table, and secrets kept out of plain columns.

pub mod aliases;
pub mod api_keys;
pub mod backups;
pub mod budgets;
pub mod combos;
pub mod connections;
pub mod lockouts;
pub mod nodes;
pub mod pricing;
pub mod provider_models;
pub mod secrets;
pub mod settings;
pub mod synced;
pub mod usage;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use secrets::{SecretBackendKind, SecretError, SecretString, Secrets};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The database file's name inside `DATA_DIR`.
pub const DATABASE_FILE: &str = "storage.sqlite";

/// Errors of the store. Each says what went wrong with which file, so start-up can print one line.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open { path: PathBuf, source: sqlx::Error },
    #[error(
        "database {path} has schema version {found}, newer than this OmniRoute supports ({supported}); \
         upgrade OmniRoute or restore an older backup"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("cannot migrate database {path}: {source}")]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored {what} is not valid JSON: {source}")]
    Corrupt {
        what: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A unique name or prefix is already taken.
    #[error("{0}")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A file of ours (a backup, a scratch copy) could not be created, read or removed.
    #[error("cannot use {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An uploaded database was refused; the message says why.
    #[error("{0}")]
    InvalidBackup(String),
}

impl StoreError {
    /// `Conflict(message)` for a uniqueness violation, else the database error.
    pub(crate) fn conflict_or(e: sqlx::Error, message: String) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict(message),
            _ => Self::Database(e),
        }
    }
}

/// A new random id: 16 hex digits.
pub fn new_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // The OS random source failing is near impossible; time keeps ids unique regardless.
        bytes = now_ms().to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Handle to the open store; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if missing) `data_dir/storage.sqlite` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join(DATABASE_FILE);
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .idle_timeout(Duration::from_secs(300))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        let store = Self { pool, path };
        store.migrate().await?;
        // SQLite gives the WAL and shared-memory files the database's own mode.
        for suffix in ["", "-wal", "-shm"] {
            let mut file = store.path.clone().into_os_string();
            file.push(suffix);
            restrict_to_owner(Path::new(&file));
        }
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let supported = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let has_table: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if has_table.is_some() {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                    .fetch_one(&self.pool)
                    .await?;
            if let Some(found) = found.filter(|v| *v > supported) {
                return Err(StoreError::NewerSchema {
                    path: self.path.clone(),
                    found,
                    supported,
                });
            }
        }
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: self.path.clone(),
                source,
            })
    }

    /// A real round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&self.pool).await?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// The schema version the open database is at.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Waits for pending writes, checkpoints the WAL into the main file and closes every
    /// connection. Called once at shutdown.
    pub async fn close(&self) {
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
        }
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch, the store's time unit.
/// Creates a file only its owner can read (0600), refusing one that exists: a secret is never
/// readable by others, not even between its creation and a later `chmod`.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Makes a file of the data directory readable by its owner only (0600): the database,
/// backups and exports hold usage, settings and encrypted credentials. Best effort: a file that
/// is gone, or a platform without Unix modes, is left as it is.
pub fn restrict_to_owner(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if path.exists() {
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
                tracing::warn!(path = %path.display(), error = %e, "cannot make the file private");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        store.ping().await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), 4);
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(fk, 1);
        for table in [
            "provider_connections",
            "provider_nodes",
            "combos",
            "api_keys",
            "settings",
            "usage",
        ] {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=?",
            )
            .bind(table)
            .fetch_one(store.pool())
            .await
            .unwrap();
            assert_eq!(n, 1, "table {table}");
        }
        store.close().await;
        let again = Store::open(dir.path()).await.unwrap();
        assert_eq!(again.schema_version().await.unwrap(), 4);
    }

    #[tokio::test]
    async fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
        let err = Store::open(dir.path()).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NewerSchema {
                    found: 9999,
                    supported: 4,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("newer than this OmniRoute supports")
        );
    }
}
