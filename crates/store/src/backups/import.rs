//! Importing an uploaded database: validated on its own connection first (header, integrity,
//! required tables, schema version), then an automatic backup of the live database, then every
//! table of our schema replaced in one transaction on one connection with the upload attached.
//! The pool stays open throughout; any failure rolls back and leaves the live data untouched.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AnyConnection, ConnectOptions, Connection, Executor, Row};
use tokio::io::AsyncReadExt;

use super::transfer::{self, Kind};
use super::{AUTH_SECTION, REQUIRED_TABLES, quote_ident, utf8_path};
use crate::settings::INSTALL_ID_KEY;
use crate::{Backend, Store, StoreError};

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows now in each table.
    pub tables: BTreeMap<String, i64>,
    /// The automatic backup of the database as it was before.
    pub backup: PathBuf,
}

fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::InvalidBackup(message.into())
}

impl Store {
    /// Replaces the live data with that of the SQLite file at `upload`, after checking it and
    /// taking an automatic backup (`DATA_DIR/backups/pre-import-<time>.sqlite`).
    pub async fn import_backup(&self, upload: &Path) -> Result<ImportReport, StoreError> {
        check_header(upload).await?;
        self.validate_upload(upload).await?;
        let backup = self.backup_path("pre-import")?;
        self.vacuum_into(&backup).await?;
        tracing::info!(backup = %backup.display(), "automatic backup before import written");
        let tables = self.replace_from(upload).await?;
        Ok(ImportReport { tables, backup })
    }

    /// Puts back the data of an automatic backup, without taking another: undoes an import
    /// whose data the gateway then could not load.
    pub async fn restore_backup(&self, backup: &Path) -> Result<(), StoreError> {
        check_header(backup).await?;
        self.validate_upload(backup).await?;
        self.replace_from(backup).await.map(|_| ())
    }

    /// Refuses a file that is corrupt, lacks a required table or comes from a newer OmniRoute.
    async fn validate_upload(&self, upload: &Path) -> Result<(), StoreError> {
        let mut conn = SqliteConnectOptions::new()
            .filename(upload)
            .create_if_missing(false)
            .foreign_keys(false)
            // Nothing in the upload's schema may call functions with side effects.
            .pragma("trusted_schema", "OFF")
            .connect()
            .await
            .map_err(|e| {
                invalid(format!(
                    "the file cannot be opened as a SQLite database: {e}"
                ))
            })?;
        let result = check_contents(&mut conn, self.schema_version().await?).await;
        if let Err(e) = conn.close().await {
            tracing::warn!(error = %e, "closing the uploaded database failed");
        }
        result
    }

    /// Copies every table of our schema from `upload`, all or nothing.
    async fn replace_from(&self, upload: &Path) -> Result<BTreeMap<String, i64>, StoreError> {
        if self.backend() == Backend::Postgres {
            return self.replace_postgres_from(upload).await;
        }
        // A connection of our own rather than a pooled one: if the request is abandoned midway,
        // dropping it closes it, which rolls back and detaches, and no pooled connection is
        // left holding the write lock.
        let mut conn = AnyConnection::connect_with(&self.pool().connect_options()).await?;
        conn.execute(
            "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
        )
        .await?;
        sqlx::query("ATTACH DATABASE $1 AS src")
            .bind(utf8_path(upload)?)
            .execute(&mut conn)
            .await?;
        let result = copy_all(&mut conn).await;
        if let Err(e) = conn.close().await {
            tracing::warn!(error = %e, "closing the import connection failed");
        }
        result
    }
}

impl Store {
    /// The PostgreSQL side of `replace_from`: in one transaction, every table of ours emptied
    /// and filled row by row from the upload's table of the same name (the columns both have).
    async fn replace_postgres_from(
        &self,
        upload: &Path,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let mut src = AnyConnection::connect(&crate::sql::sqlite_url(upload, "ro")).await?;
        src.execute("PRAGMA trusted_schema = OFF").await?;
        let theirs = transfer::tables(&mut src, Backend::Sqlite).await?;
        let mut conn = self.pool().acquire().await?;
        let mut tx = conn.begin().await?;
        let ours = transfer::tables(&mut tx, Backend::Postgres).await?;
        let kept = kept_settings(&mut tx, "").await?;
        let all = ours
            .iter()
            .map(|t| quote_ident(&t.name))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(&format!("TRUNCATE {all} RESTART IDENTITY"))
            .execute(&mut *tx)
            .await?;
        for table in &ours {
            let Some(upload) = theirs.iter().find(|t| t.name == table.name) else {
                continue;
            };
            let common: Vec<(String, Kind)> = table
                .columns
                .iter()
                .filter(|(c, _)| upload.columns.iter().any(|(u, _)| u == c))
                .cloned()
                .collect();
            transfer::copy_rows(&mut src, &mut tx, &table.name, &common).await?;
        }
        restore_kept(&mut tx, "", kept).await?;
        transfer::advance_identities(&mut tx).await?;
        let counts = count_rows(&mut tx, "", ours.into_iter().map(|t| t.name)).await?;
        tx.commit().await?;
        if let Err(e) = src.close().await {
            tracing::warn!(error = %e, "closing the uploaded database failed");
        }
        Ok(counts)
    }
}

/// This installation's id names its keychain entries, and a backup without the password hash
/// must not reset the dashboard password to the default: both survive an import. `schema` is
/// `"main."` on SQLite with the upload attached, else empty.
async fn kept_settings(
    conn: &mut AnyConnection,
    schema: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT key, value, updated_at FROM {schema}settings WHERE key IN ($1, $2)"
    ))
    .bind(INSTALL_ID_KEY)
    .bind(AUTH_SECTION)
    .fetch_all(&mut *conn)
    .await?)
}

async fn restore_kept(
    conn: &mut AnyConnection,
    schema: &str,
    kept: Vec<(String, String, i64)>,
) -> Result<(), StoreError> {
    for (key, value, updated_at) in kept {
        let on_conflict = if key == INSTALL_ID_KEY {
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        } else {
            "DO NOTHING"
        };
        sqlx::query(&format!(
            "INSERT INTO {schema}settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) {on_conflict}"
        ))
        .bind(key)
        .bind(value)
        .bind(updated_at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn count_rows(
    conn: &mut AnyConnection,
    schema: &str,
    tables: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut counts = BTreeMap::new();
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {schema}{}",
            quote_ident(&table)
        ))
        .fetch_one(&mut *conn)
        .await?;
        counts.insert(table, n);
    }
    Ok(counts)
}

async fn check_header(upload: &Path) -> Result<(), StoreError> {
    let io = |source| StoreError::Io {
        path: upload.to_path_buf(),
        source,
    };
    let mut file = tokio::fs::File::open(upload).await.map_err(io)?;
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        let n = file.read(&mut header[read..]).await.map_err(io)?;
        if n == 0 {
            break;
        }
        read += n;
    }
    if read < header.len() || &header != SQLITE_HEADER {
        return Err(invalid(
            "not a SQLite database (the file does not start with the SQLite header)",
        ));
    }
    Ok(())
}

async fn check_contents(conn: &mut SqliteConnection, supported: i64) -> Result<(), StoreError> {
    let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check(10)")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| invalid(format!("the database failed its integrity check: {e}")))?;
    if problems.iter().any(|p| p != "ok") {
        return Err(invalid(format!(
            "the database failed its integrity check: {}",
            problems.join("; ")
        )));
    }
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| invalid(format!("cannot read the database's tables: {e}")))?;
    let missing: Vec<&str> = REQUIRED_TABLES
        .into_iter()
        .filter(|t| !tables.iter().any(|have| have == t))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "not an OmniRoute database: missing table(s) {}",
            missing.join(", ")
        )));
    }
    if tables.iter().any(|t| t == "_sqlx_migrations") {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| invalid(format!("cannot read the database's schema version: {e}")))?;
        if let Some(found) = found.filter(|v| *v > supported) {
            return Err(invalid(format!(
                "the database has schema version {found}, newer than this OmniRoute supports \
                 ({supported}); upgrade OmniRoute first"
            )));
        }
    }
    Ok(())
}

async fn copy_all(conn: &mut AnyConnection) -> Result<BTreeMap<String, i64>, StoreError> {
    // IMMEDIATE: take the write lock now (waiting out other writers with the busy timeout)
    // rather than fail to upgrade a read lock halfway through.
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let outcome = match copy_tables(conn).await {
        Ok(counts) => match sqlx::query("COMMIT").execute(&mut *conn).await {
            Ok(_) => return Ok(counts),
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => Err(invalid(
                "the database has rows referring to rows that do not exist (foreign key check failed)",
            )),
            Err(e) => Err(StoreError::Database(e)),
        },
        Err(e) => Err(e),
    };
    if let Err(e) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
        // Closing the connection, which the caller does next, rolls back as well.
        tracing::warn!(error = %e, "rolling back a failed import failed");
    }
    outcome
}

/// Inside the transaction: empties every table of ours, then fills each from the upload's
/// table of the same name, copying the columns both have.
async fn copy_tables(conn: &mut AnyConnection) -> Result<BTreeMap<String, i64>, StoreError> {
    // References are checked at COMMIT, so tables can be filled in any order.
    sqlx::query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let kept = kept_settings(conn, "main.").await?;
    // Every delete first: a cascade from one table must not remove rows already copied into
    // another.
    for table in &tables {
        sqlx::query(&format!("DELETE FROM main.{}", quote_ident(table)))
            .execute(&mut *conn)
            .await?;
    }
    for table in &tables {
        let in_upload: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM src.sqlite_master WHERE type = 'table' AND name = $1",
        )
        .bind(table)
        .fetch_optional(&mut *conn)
        .await?;
        if in_upload.is_none() {
            continue;
        }
        let ours = columns(conn, "main", table).await?;
        let theirs = columns(conn, "src", table).await?;
        let common: Vec<String> = ours
            .iter()
            .filter(|c| theirs.contains(c))
            .map(|c| quote_ident(c))
            .collect();
        if common.is_empty() {
            continue;
        }
        let list = common.join(", ");
        let t = quote_ident(table);
        sqlx::query(&format!(
            "INSERT INTO main.{t} ({list}) SELECT {list} FROM src.{t}"
        ))
        .execute(&mut *conn)
        .await
        .map_err(|e| invalid(format!("cannot import table {table}: {e}")))?;
    }
    restore_kept(conn, "main.", kept).await?;
    count_rows(conn, "main.", tables).await
}

async fn columns(
    conn: &mut AnyConnection,
    schema: &str,
    table: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(&format!(
        "PRAGMA {schema}.table_info({})",
        quote_ident(table)
    ))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| row.try_get::<String, _>("name").map_err(StoreError::from))
        .collect()
}
