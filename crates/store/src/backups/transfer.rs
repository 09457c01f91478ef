//! Row-by-row copies between two databases of our schema on different engines: a PostgreSQL
//! store exported into the portable SQLite format, and a SQLite backup imported into
//! PostgreSQL. (SQLite to SQLite uses `VACUUM INTO` and `ATTACH`, which keep every byte.)
//! Values are read and bound by the type of the target column, so a value of the wrong type in
//! an uploaded file is refused instead of stored.

use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Row};

use crate::sql::Sql;
use crate::{Backend, StoreError};

/// How a column's values travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Integer,
    Real,
    Text,
    Blob,
}

impl Kind {
    /// From a declared SQLite type or a PostgreSQL `data_type`.
    fn of(declared: &str) -> Kind {
        let t = declared.to_ascii_uppercase();
        if t.contains("INT") {
            Kind::Integer
        } else if t.contains("REAL") || t.contains("DOUB") || t.contains("FLOA") {
            Kind::Real
        } else if t.contains("BLOB") || t.contains("BYTEA") {
            Kind::Blob
        } else {
            Kind::Text
        }
    }
}

/// One table of ours with its columns.
#[derive(Debug)]
pub(super) struct Table {
    pub name: String,
    pub columns: Vec<(String, Kind)>,
}

/// Tables others refer to, filled first so every reference finds its row.
const PARENTS: [&str; 4] = ["secrets", "api_keys", "usage", "provider_connections"];

/// Rows per INSERT: a few hundred bound values, far below either engine's limit.
const BATCH_VALUES: usize = 800;

/// The tables of our schema (not the migration log), parents first, with their columns.
pub(super) async fn tables(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<Vec<Table>, StoreError> {
    let names: Vec<String> = match backend {
        Backend::Sqlite => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations' ORDER BY name",
        ),
        Backend::Postgres => sqlx::query_scalar(
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations' ORDER BY table_name",
        ),
    }
    .fetch_all(&mut *conn)
    .await?;
    let mut tables = Vec::new();
    for name in names {
        let columns = columns(conn, backend, &name).await?;
        tables.push(Table { name, columns });
    }
    tables.sort_by_key(|t| {
        PARENTS
            .iter()
            .position(|p| *p == t.name)
            .unwrap_or(PARENTS.len())
    });
    Ok(tables)
}

async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<(String, Kind)>, StoreError> {
    let rows = match backend {
        Backend::Sqlite => {
            sqlx::query(&format!("PRAGMA table_info({})", super::quote_ident(table)))
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("name")?, row.try_get("type")?)))
                .collect::<Result<Vec<(String, String)>, sqlx::Error>>()?
        }
        Backend::Postgres => {
            sqlx::query_as(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) \
                 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    Ok(rows
        .into_iter()
        .map(|(name, declared)| (name, Kind::of(&declared)))
        .collect())
}

/// Copies every row of `columns` of `table` from `src` into `dst` (which holds none of them),
/// inside whatever transactions the caller opened. Returns the number of rows.
pub(super) async fn copy_rows(
    src: &mut AnyConnection,
    dst: &mut AnyConnection,
    table: &str,
    columns: &[(String, Kind)],
) -> Result<i64, StoreError> {
    if columns.is_empty() {
        return Ok(0);
    }
    let list = columns
        .iter()
        .map(|(c, _)| super::quote_ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    let t = super::quote_ident(table);
    let select = format!("SELECT {list} FROM {t}");
    let mut rows = sqlx::query(&select).fetch(&mut *src);
    let per_batch = (BATCH_VALUES / columns.len()).max(1);
    let mut batch = Vec::with_capacity(per_batch);
    let mut copied = 0_i64;
    loop {
        let next = rows.try_next().await?;
        let done = next.is_none();
        batch.extend(next);
        if batch.len() < per_batch && !done {
            continue;
        }
        if batch.is_empty() {
            break;
        }
        let mut insert = Sql::new(format!("INSERT INTO {t} ({list}) VALUES "));
        for (i, row) in batch.iter().enumerate() {
            insert.push(if i == 0 { "(" } else { ", (" });
            for (j, (name, kind)) in columns.iter().enumerate() {
                if j > 0 {
                    insert.push(", ");
                }
                let bad =
                    |e| StoreError::InvalidBackup(format!("table {table}, column {name}: {e}"));
                match kind {
                    Kind::Integer => insert.bind(row.try_get::<Option<i64>, _>(j).map_err(bad)?),
                    Kind::Real => insert.bind(row.try_get::<Option<f64>, _>(j).map_err(bad)?),
                    Kind::Text => insert.bind(row.try_get::<Option<String>, _>(j).map_err(bad)?),
                    Kind::Blob => insert.bind(row.try_get::<Option<Vec<u8>>, _>(j).map_err(bad)?),
                };
            }
            insert.push(")");
        }
        let (text, args) = insert.finish()?;
        sqlx::query_with(&text, args)
            .execute(&mut *dst)
            .await
            .map_err(|e| StoreError::InvalidBackup(format!("cannot import table {table}: {e}")))?;
        copied += i64::try_from(batch.len()).unwrap_or(i64::MAX);
        batch.clear();
        if done {
            break;
        }
    }
    Ok(copied)
}

/// After rows came in with their ids: PostgreSQL's identity columns continue after the largest.
pub(super) async fn advance_identities(conn: &mut AnyConnection) -> Result<(), StoreError> {
    for table in ["usage", "request_logs"] {
        sqlx::query(&format!(
            "SELECT CAST(setval(pg_get_serial_sequence('{table}', 'id'), \
             COALESCE(MAX(id), 0) + 1, false) AS BIGINT) FROM {table}"
        ))
        .fetch_one(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_declared_types() {
        for (declared, kind) in [
            ("INTEGER", Kind::Integer),
            ("bigint", Kind::Integer),
            ("REAL", Kind::Real),
            ("double precision", Kind::Real),
            ("TEXT", Kind::Text),
            ("BLOB", Kind::Blob),
            ("bytea", Kind::Blob),
            ("", Kind::Text),
        ] {
            assert_eq!(Kind::of(declared), kind, "{declared}");
        }
    }
}
