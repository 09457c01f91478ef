//! What lets one set of queries run on SQLite and on PostgreSQL: the backend a store is on,
//! `DATABASE_URL` parsing, and statements assembled from pieces with `$n` placeholders (the
//! syntax both engines accept; sqlx's generic query builder would write SQLite's `?`).
//!
//! Both schemas keep SQLite's types: times and flags are 64-bit integers, amounts doubles.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sqlx::any::{AnyArguments, AnyTypeInfo, AnyValueRef};
use sqlx::error::BoxDynError;
use sqlx::{Any, Arguments, Decode, Encode, Type};

use crate::StoreError;

/// The engine a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// `GREATEST(a, b)`: SQLite spells the two-argument maximum `MAX`.
    pub(crate) fn greatest(self) -> &'static str {
        match self {
            Self::Sqlite => "MAX",
            Self::Postgres => "GREATEST",
        }
    }
}

/// A flag as both schemas store it, a 64-bit integer 0 or 1; read into a `bool` field with
/// `#[sqlx(try_from = "Flag")]`, bound as `i64::from(flag)`.
pub struct Flag(i64);

impl Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        <i64 as Decode<'r, Any>>::decode(value).map(Flag)
    }
}

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0 != 0
    }
}

/// Stores a unit enum as its serde name, TEXT in both schemas (sqlx's derive covers each engine
/// but not the two at once).
macro_rules! text_column {
    ($ty:ty) => {
        impl sqlx::Type<sqlx::Any> for $ty {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let name = $crate::sql::serde_name(self)?;
                <String as sqlx::Encode<'q, sqlx::Any>>::encode(name, buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $ty {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let name = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(serde_json::from_value(serde_json::Value::String(name))?)
            }
        }
    };
}
pub(crate) use text_column;

pub(crate) fn serde_name<T: serde::Serialize>(value: &T) -> Result<String, BoxDynError> {
    match serde_json::to_value(value)? {
        serde_json::Value::String(name) => Ok(name),
        other => Err(format!("{other} is not a name").into()),
    }
}

/// A parsed `DATABASE_URL`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        else {
            return Err(StoreError::Url(format!(
                "must start with sqlite:// or postgres:// (got {})",
                redacted_url(url)
            )));
        };
        let path = rest.split('?').next().unwrap_or_default();
        let path = percent_decode(path)
            .ok_or_else(|| StoreError::Url(format!("has a malformed path: {path}")))?;
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::Url(
                "must name a database file (sqlite:///path/to/storage.sqlite)".into(),
            ));
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }
}

/// `sqlite://<file>?mode=<mode>` (`rwc`, `rw` or `ro`), the file's path percent-encoded so
/// that spaces, `?` and `#` survive URL parsing.
pub(crate) fn sqlite_url(file: &Path, mode: &str) -> String {
    let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let mut url = String::from("sqlite://");
    for byte in file.as_os_str().as_encoded_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'_' | b'-' | b'~' => {
                url.push(char::from(*byte));
            }
            _ => {
                let _ = write!(url, "%{byte:02X}");
            }
        }
    }
    url.push_str("?mode=");
    url.push_str(mode);
    url
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The URL without its password or query (which may carry one): safe in logs and messages.
pub(crate) fn redacted_url(url: &str) -> String {
    let url = url.split('?').next().unwrap_or_default();
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(not a URL)".into();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = match authority.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{user}@{host}")
        }
        None => authority.to_string(),
    };
    format!("{scheme}://{host}{path}")
}

/// A statement assembled from pieces, values bound as `$1`, `$2`, … in the order they are
/// pushed.
pub struct Sql<'q> {
    text: String,
    args: AnyArguments<'q>,
    count: usize,
    error: Option<BoxDynError>,
}

impl<'q> Sql<'q> {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            args: AnyArguments::default(),
            count: 0,
            error: None,
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends the next placeholder and binds `value` to it.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'q + Encode<'q, Any> + Type<Any>,
    {
        self.count += 1;
        let _ = write!(self.text, "${}", self.count);
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        self
    }

    /// The text and its arguments, for `sqlx::query_with` and friends.
    pub fn finish(self) -> Result<(String, AnyArguments<'q>), StoreError> {
        match self.error {
            Some(e) => Err(StoreError::Database(sqlx::Error::Encode(e))),
            None => Ok((self.text, self.args)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/omni%20route/db.sqlite?mode=rwc").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/var/lib/omni route/db.sqlite"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:data/x.sqlite").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/x.sqlite"))
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u:p@h/db").unwrap(),
            DatabaseUrl::Postgres("postgresql://u:p@h/db".into())
        );
        for bad in [
            "mysql://u:secret@h/db",
            "sqlite://",
            "sqlite::memory:",
            "sqlite:///x%zz",
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err().to_string();
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn sqlite_urls_survive_odd_paths() {
        let path = Path::new("/tmp/a b?c#d%e/storage.sqlite");
        let url = sqlite_url(path, "rwc");
        assert_eq!(
            url,
            "sqlite:///tmp/a%20b%3Fc%23d%25e/storage.sqlite?mode=rwc"
        );
        assert_eq!(
            DatabaseUrl::parse(&url).unwrap(),
            DatabaseUrl::Sqlite(path.into())
        );
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redacted_url(
                "postgres://omni:s3cret@db.local:5432/omniroute?sslmode=require&password=x"
            ),
            "postgres://omni@db.local:5432/omniroute"
        );
        assert_eq!(
            redacted_url("postgres://db/omniroute"),
            "postgres://db/omniroute"
        );
    }

    #[test]
    fn numbers_placeholders_in_order() {
        let mut sql = Sql::new("SELECT * FROM usage WHERE 1 = 1");
        sql.push(" AND ts >= ")
            .bind(5_i64)
            .push(" AND model = ")
            .bind("m");
        let (text, args) = sql.finish().unwrap();
        assert_eq!(
            text,
            "SELECT * FROM usage WHERE 1 = 1 AND ts >= $1 AND model = $2"
        );
        assert_eq!(args.len(), 2);
    }
}
