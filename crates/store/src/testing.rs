//! The store the tests use: SQLite in the test's directory, or, when `OMNIROUTE_TEST_POSTGRES`
//! names a PostgreSQL server (`with-services` sets it), a database of the test's own on it, one
//! per directory, so that opening the same directory again reopens the same data.
//! `scripts/test.sh` runs this crate's suite both ways.

use std::path::Path;

use sqlx::{Connection, Executor};

use crate::Store;

pub(crate) async fn store(dir: &Path) -> Store {
    match std::env::var("OMNIROUTE_TEST_POSTGRES") {
        Ok(admin) => {
            let url = database_of(&admin, dir).await;
            Store::connect(dir, Some(&url)).await.unwrap()
        }
        Err(_) => Store::open(dir).await.unwrap(),
    }
}

async fn database_of(admin: &str, dir: &Path) -> String {
    use std::hash::{Hash, Hasher};
    sqlx::any::install_default_drivers();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut hasher);
    let name = format!("t_{:016x}", hasher.finish());
    let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await
        .unwrap();
    if exists.is_none() {
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}
