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
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Executor};

pub use secrets::{SecretBackendKind, SecretError, SecretString, Secrets};
pub use sql::{Backend, Sql};

mod sql;
#[cfg(test)]
mod testing;

pub(crate) static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The database file's name inside `DATA_DIR`.
pub const DATABASE_FILE: &str = "storage.sqlite";

/// Errors of the store. Each says what went wrong with which database, so start-up can print
/// one line.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {location}: {source}")]
    Open {
        location: String,
        source: sqlx::Error,
    },
    #[error(
        "database {location} has schema version {found}, newer than this OmniRoute supports ({supported}); \
         upgrade OmniRoute or restore an older backup"
    )]
    NewerSchema {
        location: String,
        found: i64,
        supported: i64,
    },
    #[error("cannot migrate database {location}: {source}")]
    Migrate {
        location: String,
        source: sqlx::migrate::MigrateError,
    },
    /// `DATABASE_URL` names no database this build can use.
    #[error("DATABASE_URL {0}")]
    Url(String),
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
    pool: AnyPool,
    backend: Backend,
    data_dir: PathBuf,
    /// Where the data is, for messages: the file's path or the URL without its password.
    location: String,
}

impl Store {
    /// Opens (creating if missing) `data_dir/storage.sqlite` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_sqlite(data_dir, &data_dir.join(DATABASE_FILE)).await
    }

    /// Opens the database `DATABASE_URL` names (`sqlite://…` or `postgres://…`), else the
    /// default SQLite file in `data_dir`, and brings its schema up to date.
    pub async fn connect(data_dir: &Path, url: Option<&str>) -> Result<Self, StoreError> {
        match url.map(sql::DatabaseUrl::parse).transpose()? {
            None => Self::open(data_dir).await,
            Some(sql::DatabaseUrl::Sqlite(file)) => Self::open_sqlite(data_dir, &file).await,
            Some(sql::DatabaseUrl::Postgres(url)) => Self::open_postgres(data_dir, &url).await,
        }
    }

    async fn open_sqlite(data_dir: &Path, file: &Path) -> Result<Self, StoreError> {
        let location = file.display().to_string();
        let url = sql::sqlite_url(file, "rwc");
        // Each connection: write-ahead log, foreign keys, and a wait instead of "database is
        // locked" while another connection writes.
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .idle_timeout(Duration::from_secs(300))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                    )
                    .await
                    .map(|_| ())
                })
            });
        let store = Self::start(pool, &url, Backend::Sqlite, data_dir, location).await?;
        // SQLite gives the WAL and shared-memory files the database's own mode.
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.to_path_buf().into_os_string();
            name.push(suffix);
            restrict_to_owner(Path::new(&name));
        }
        Ok(store)
    }

    async fn open_postgres(data_dir: &Path, url: &str) -> Result<Self, StoreError> {
        let location = sql::redacted_url(url);
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(300));
        Self::start(pool, url, Backend::Postgres, data_dir, location).await
    }

    async fn start(
        options: AnyPoolOptions,
        url: &str,
        backend: Backend,
        data_dir: &Path,
        location: String,
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let open = |source| StoreError::Open {
            location: location.clone(),
            source,
        };
        let connect: AnyConnectOptions = url.parse().map_err(open)?;
        let pool = options.connect_with(connect).await.map_err(open)?;
        let store = Self {
            pool,
            backend,
            data_dir: data_dir.to_path_buf(),
            location,
        };
        store.migrate().await?;
        Ok(store)
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }

    /// The newest schema version this build knows.
    pub fn supported_schema_version(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let supported = self.supported_schema_version();
        let exists = match self.backend {
            Backend::Sqlite => {
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT 1 FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let has_table: Option<i32> = sqlx::query_scalar(exists)
            .fetch_optional(&self.pool)
            .await?;
        if has_table.is_some() {
            let found = self.schema_version().await?;
            if found > supported {
                return Err(StoreError::NewerSchema {
                    location: self.location.clone(),
                    found,
                    supported,
                });
            }
        }
        self.migrator()
            .run(&self.pool)
            .await
            .map_err(|source| StoreError::Migrate {
                location: self.location.clone(),
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
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    /// Where the data is, for messages and the health page (a server URL without password).
    pub fn location(&self) -> &str {
        &self.location
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A transaction that reads before it writes, serialized with every other such
    /// transaction: SQLite takes its write lock at once (a deferred transaction could not
    /// upgrade once another connection wrote in between); PostgreSQL, shared by several
    /// gateways, takes a transaction-scoped advisory lock.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, Any>, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                // Any fixed number: the lock only orders OmniRoute's own writers.
                sqlx::query("SELECT CAST(pg_advisory_xact_lock(2012801) AS TEXT)")
                    .fetch_one(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// Waits for pending writes, checkpoints SQLite's WAL into the main file and closes every
    /// connection. Called once at shutdown.
    pub async fn close(&self) {
        if self.backend == Backend::Sqlite
            && let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
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
    use crate::backups::REQUIRED_TABLES;

    #[tokio::test]
    async fn opens_migrates_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        store.ping().await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), 5);
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
                "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name=$1",
            )
            .bind(table)
            .fetch_one(store.pool())
            .await
            .unwrap();
            assert_eq!(n, 1, "table {table}");
        }
        store.close().await;
        let again = Store::open(dir.path()).await.unwrap();
        assert_eq!(again.schema_version().await.unwrap(), 5);
    }

    #[tokio::test]
    async fn migrates_on_the_backend_under_test() {
        let dir = tempfile::tempdir().unwrap();
        let store = testing::store(dir.path()).await;
        store.ping().await.unwrap();
        let expected = if std::env::var("OMNIROUTE_TEST_POSTGRES").is_ok() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        assert_eq!(store.backend(), expected);
        assert_eq!(store.schema_version().await.unwrap(), 5);
        assert_eq!(store.supported_schema_version(), 5);
        for table in REQUIRED_TABLES
            .iter()
            .chain(&["settings", "usage", "sync_held"])
        {
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(n, 0, "table {table}");
        }
        // The second start finds the schema current and changes nothing.
        store.migrate().await.unwrap();
        assert_eq!(store.schema_version().await.unwrap(), 5);
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
                    supported: 5,
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
