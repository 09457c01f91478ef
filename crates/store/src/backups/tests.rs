use serde_json::json;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::*;
use crate::connections::{NewConnection, api_key_secret_name};
use crate::{SecretBackendKind, SecretString, Secrets};

#[test]
fn stamps_are_utc_and_file_name_safe() {
    assert_eq!(utc_stamp(0), "19700101T000000Z");
    assert_eq!(utc_stamp(1_735_787_045_999), "20250102T030405Z");
    assert_eq!(utc_stamp(951_782_400_000), "20000229T000000Z");
}

#[test]
fn secret_fields_are_cut_at_any_depth() {
    let mut v =
        json!({"global": {"host": "h", "password": "p"}, "list": [{"clientSecret": "s", "ok": 1}]});
    assert!(strip_secret_fields(&mut v));
    assert_eq!(v, json!({"global": {"host": "h"}, "list": [{"ok": 1}]}));
    assert!(!strip_secret_fields(&mut v));
}

async fn store_with_data(dir: &Path) -> (Store, String) {
    let store = crate::testing::store(dir).await;
    let secrets = Secrets::open(&store, dir, SecretBackendKind::Encrypted)
        .await
        .unwrap();
    let new = NewConnection {
        provider: "openai".into(),
        name: "main".into(),
        auth_kind: "api_key".into(),
        enabled: true,
        ..Default::default()
    };
    let c = store.insert_connection(&new, false).await.unwrap();
    let name = api_key_secret_name(&c.id);
    secrets
        .put(&name, &SecretString::new("sk-store-test-secret"))
        .await
        .unwrap();
    store.link_connection_secret(&c.id, &name).await.unwrap();
    let auth = json!({"passwordHash": "$argon2id$hash-that-must-not-leave"});
    let proxy = json!({"global": {"type": "http", "host": "p", "port": 1, "password": "pw-leak"}});
    store
        .put_settings_sections(&[("auth", &auth), ("proxy", &proxy)])
        .await
        .unwrap();
    (store, c.id)
}

async fn open(path: &Path) -> sqlx::SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .unwrap()
}

#[tokio::test]
async fn redacted_copy_keeps_data_and_drops_every_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = store_with_data(dir.path()).await;
    let full = store.export_copy().await.unwrap();
    let redacted = store.export_redacted_copy().await.unwrap();

    let mut conn = open(full.path()).await;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secrets")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 1);
    conn.close().await.unwrap();

    let mut conn = open(redacted.path()).await;
    let names: Vec<String> = sqlx::query_scalar("SELECT id FROM provider_connections")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(names, vec![id]);
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM secrets")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, 0);
    let keys: Vec<String> = sqlx::query_scalar("SELECT key FROM settings ORDER BY key")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(!keys.contains(&"auth".to_owned()), "{keys:?}");
    conn.close().await.unwrap();
    let bytes = std::fs::read(redacted.path()).unwrap();
    for needle in ["hash-that-must-not-leave", "pw-leak"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} found in the redacted copy"
        );
    }

    let path = redacted.path().to_path_buf();
    drop(redacted);
    assert!(!path.exists(), "scratch copy removed on drop");
}

#[tokio::test]
async fn import_restores_and_refusals_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (store, id) = store_with_data(dir.path()).await;
    let copy = store.export_copy().await.unwrap();
    store.delete_connection(&id).await.unwrap();
    store
        .insert_node("N", "n", crate::nodes::ApiType::Openai, "http://x")
        .await
        .unwrap();

    let report = store.import_backup(copy.path()).await.unwrap();
    assert!(report.backup.exists());
    assert_eq!(report.tables.get("provider_connections"), Some(&1));
    assert_eq!(report.tables.get("provider_nodes"), Some(&0));
    assert_eq!(store.connection(&id).await.unwrap().unwrap().id, id);
    assert!(store.settings_section("auth").await.unwrap().is_some());

    // Refusals: text, a database missing tables, one from a newer OmniRoute.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello, this is not a database at all").unwrap();
    let err = store.import_backup(&text).await.unwrap_err();
    assert!(err.to_string().contains("not a SQLite database"), "{err}");

    let partial = dir.path().join("partial.sqlite");
    let mut conn = SqliteConnectOptions::new()
        .filename(&partial)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE combos (id TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let err = store.import_backup(&partial).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("missing table(s) provider_connections, provider_nodes, api_keys"),
        "{err}"
    );

    let newer = store.export_copy().await.unwrap();
    let mut conn = open(newer.path()).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'future', 1, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let err = store.import_backup(newer.path()).await.unwrap_err();
    assert!(err.to_string().contains("schema version 9999"), "{err}");

    assert_eq!(store.connections().await.unwrap().len(), 1);
    assert!(matches!(err, StoreError::InvalidBackup(_)));
}

#[allow(
    dead_code,
    reason = "compiled, never run: the futures axum handlers await must be Send"
)]
fn futures_are_send(store: &Store, path: &Path) {
    fn is_send<T: Send>(_: T) {}
    is_send(store.vacuum_into(path));
    is_send(store.export_redacted_copy());
    is_send(store.import_backup(path));
    is_send(store.restore_backup(path));
}
