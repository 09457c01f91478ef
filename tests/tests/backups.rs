//! Database backups over HTTP: `export` is a real SQLite copy of the live data, `exportAll` is a
//! `.tar.gz` in which no secret appears anywhere, and `import` restores a backup (the request
//! path sees it at once) while every refused upload leaves the running database as it was.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use omniroute_e2e::clients;
use omniroute_e2e::mock::Format;
use omniroute_e2e::{MockUpstream, TestGateway};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

const MAX_IMPORT: usize = 100 * 1024 * 1024;

async fn open_db(path: &Path) -> SqliteConnection {
    SqliteConnectOptions::new()
        .filename(path)
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .unwrap()
}

async fn count(conn: &mut SqliteConnection, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(conn).await.unwrap()
}

async fn download(http: &reqwest::Client, url: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let r = http.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    let headers = r.headers().clone();
    (headers, r.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers.get(name).unwrap().to_str().unwrap()
}

async fn add_combo(gw: &TestGateway, name: &str, model: &str) {
    let r = reqwest::Client::new()
        .post(format!("{}/api/combos", gw.url))
        .json(&json!({"name": name, "models": [model]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

async fn import(gw: &TestGateway, bytes: Vec<u8>) -> (u16, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("backup.sqlite"));
    let r = reqwest::Client::new()
        .post(format!("{}/api/db-backups/import", gw.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn connection_names(gw: &TestGateway) -> Vec<String> {
    let list: Value = reqwest::get(format!("{}/api/providers", gw.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn backups_dir(gw: &TestGateway) -> PathBuf {
    gw.data_dir.path().join("backups")
}

/// Files under `DATA_DIR/backups`, by name.
fn backup_files(gw: &TestGateway) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(backups_dir(gw))
        .map(|dir| {
            dir.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn export_is_a_sqlite_copy_of_the_live_data() {
    let gw = TestGateway::start().await.unwrap();
    let http = reqwest::Client::new();
    gw.add_connection("openai", "main account", "sk-export-test-0123456789")
        .await;
    add_combo(&gw, "daily", "openai/gpt-4o").await;

    let (headers, bytes) = download(&http, &format!("{}/api/db-backups/export", gw.url)).await;
    assert_eq!(header(&headers, "content-type"), "application/vnd.sqlite3");
    let disposition = header(&headers, "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"omniroute-")
            && disposition.ends_with("Z.sqlite\""),
        "{disposition}"
    );
    assert!(bytes.starts_with(b"SQLite format 3\0"));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.sqlite");
    std::fs::write(&path, &bytes).unwrap();
    let mut db = open_db(&path).await;
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(ok, "ok");
    let name: String = sqlx::query_scalar("SELECT name FROM provider_connections")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(name, "main account");
    let combo: String = sqlx::query_scalar("SELECT name FROM combos")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(combo, "daily");
    // The full export keeps credentials (encrypted), so it restores this installation.
    assert_eq!(count(&mut db, "SELECT COUNT(*) FROM secrets").await, 1);
    db.close().await.unwrap();

    // The scratch copy is gone once the download is complete.
    assert!(backup_files(&gw).is_empty(), "{:?}", backup_files(&gw));
    gw.shutdown().await;
}

/// Every file of a `.tar.gz`, by name.
fn unpack(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

#[tokio::test]
async fn export_all_holds_everything_but_secrets() {
    let gw = TestGateway::start().await.unwrap();
    let http = reqwest::Client::new();
    let api_key = "sk-secret-7f3a9c1e-unique";
    let proxy_password = "proxy-pass-5d2b8e-unique";
    let password_hash = "$argon2id$v=19$hash-4c1f0a-unique";
    let key_hash = "keyhash-9e8d7c-unique";

    gw.add_node("local", "openai", "http://127.0.0.1:9/v1")
        .await;
    let conn_id = gw.add_connection("openai", "work account", api_key).await;
    add_combo(&gw, "coding", "openai/gpt-4o").await;
    let proxy = json!({"global": {"type": "http", "host": "127.0.0.1", "port": 3128,
        "username": "proxyuser", "password": proxy_password}});
    let r = http
        .put(format!("{}/api/settings/proxy", gw.url))
        .json(&proxy)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // The dashboard password and an API key, as the auth and keys modules store them.
    let mut live = open_db(&gw.data_dir.path().join("storage.sqlite")).await;
    sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ('auth', ?, 0)")
        .bind(json!({"passwordHash": password_hash}).to_string())
        .execute(&mut live)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO api_keys (id, name, key_hash, key_hint, created_at) VALUES ('k1', 'laptop', ?, 'abcd', 5)",
    )
    .bind(key_hash)
    .execute(&mut live)
    .await
    .unwrap();
    live.close().await.unwrap();

    let (headers, bytes) = download(&http, &format!("{}/api/db-backups/exportAll", gw.url)).await;
    assert_eq!(header(&headers, "content-type"), "application/gzip");
    let disposition = header(&headers, "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"omniroute-backup-")
            && disposition.ends_with("Z.tar.gz\""),
        "{disposition}"
    );
    let files = unpack(&bytes);
    let mut names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "api-keys.json",
            "combos.json",
            "omniroute.sqlite",
            "providers.json",
            "settings.json"
        ]
    );
    for (name, data) in &files {
        for secret in [api_key, proxy_password, password_hash, key_hash] {
            assert!(!contains(data, secret), "{secret} found in {name}");
        }
    }
    let json_of = |wanted: &str| -> Value {
        let (_, data) = files.iter().find(|(n, _)| n == wanted).unwrap();
        serde_json::from_slice(data).unwrap()
    };

    let providers = json_of("providers.json");
    let conn = &providers["connections"][0];
    assert_eq!(conn["id"], conn_id.as_str());
    assert_eq!(conn["name"], "work account");
    assert_eq!(conn["provider"], "openai");
    assert_eq!(conn["hasCredential"], true);
    assert!(
        conn.get("apiKey").is_none() && conn.get("secret_name").is_none(),
        "{conn}"
    );
    assert_eq!(providers["nodes"][0]["prefix"], "local");

    let combos = json_of("combos.json");
    assert_eq!(combos["combos"][0]["name"], "coding");
    assert_eq!(combos["combos"][0]["models"][0]["model"], "openai/gpt-4o");

    let settings = json_of("settings.json");
    assert!(settings.get("auth").is_none(), "{settings}");
    assert_eq!(settings["proxy"]["global"]["host"], "127.0.0.1");
    assert_eq!(settings["proxy"]["global"]["username"], "proxyuser");
    assert!(settings["proxy"]["global"].get("password").is_none());

    let keys = json_of("api-keys.json");
    assert_eq!(
        keys,
        json!({"keys": [{"id": "k1", "name": "laptop", "keyHint": "abcd", "createdAt": 5,
            "lastUsedAt": null, "revokedAt": null}]})
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("copy.sqlite");
    std::fs::write(
        &path,
        &files
            .iter()
            .find(|(n, _)| n == "omniroute.sqlite")
            .unwrap()
            .1,
    )
    .unwrap();
    let mut db = open_db(&path).await;
    assert_eq!(count(&mut db, "SELECT COUNT(*) FROM secrets").await, 0);
    assert_eq!(
        count(&mut db, "SELECT COUNT(*) FROM settings WHERE key = 'auth'").await,
        0
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT COUNT(*) FROM provider_connections WHERE secret_name IS NULL"
        )
        .await,
        1
    );
    assert_eq!(count(&mut db, "SELECT COUNT(*) FROM combos").await, 1);
    assert_eq!(count(&mut db, "SELECT COUNT(*) FROM api_keys").await, 1);
    db.close().await.unwrap();

    assert!(backup_files(&gw).is_empty(), "{:?}", backup_files(&gw));
    gw.shutdown().await;
}

/// A chat request for `model`; returns the status.
async fn chat(gw: &TestGateway, model: &str) -> u16 {
    let (path, body) = clients::request(Format::OpenAiChat, model, "hello", false, false);
    reqwest::Client::new()
        .post(format!("{}{path}", gw.url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn import_restores_a_backup_and_the_request_path_uses_it() {
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let http = reqwest::Client::new();
    gw.add_node("mock", "openai", &mock.base_url(Format::OpenAiChat))
        .await;
    let key = "sk-restored-key-0123456789";
    let id = gw.add_connection("mock", "original", key).await;
    add_combo(&gw, "kept", "mock/gpt-test").await;
    let (_, backup) = download(&http, &format!("{}/api/db-backups/export", gw.url)).await;

    // Change everything after the backup was taken.
    let r = http
        .delete(format!("{}/api/providers/{id}", gw.url))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    gw.add_connection("openai", "added later", "sk-later-0123456789")
        .await;
    add_combo(&gw, "added later", "openai/gpt-4o").await;
    assert_ne!(chat(&gw, "mock/gpt-test").await, 200);

    let (status, body) = import(&gw, backup).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["imported"], true);
    assert_eq!(body["tables"]["provider_connections"], 1);
    assert_eq!(body["tables"]["combos"], 1);
    assert_eq!(body["tables"]["provider_nodes"], 1);
    let auto_backup = PathBuf::from(body["backup"].as_str().unwrap());
    assert_eq!(auto_backup.parent(), Some(backups_dir(&gw).as_path()));
    let name = auto_backup.file_name().unwrap().to_string_lossy();
    assert!(
        name.starts_with("pre-import-") && name.ends_with("Z.sqlite"),
        "{name}"
    );
    // The automatic backup holds the data as it was just before the import.
    let mut before = open_db(&auto_backup).await;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM provider_connections ORDER BY name")
            .fetch_all(&mut before)
            .await
            .unwrap();
    assert_eq!(names, ["added later"]);
    before.close().await.unwrap();

    assert_eq!(connection_names(&gw).await, ["original"]);
    let combos: Value = http
        .get(format!("{}/api/combos", gw.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let combo_names: Vec<&str> = combos
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(combo_names, ["kept"]);
    // The registry was reloaded: the restored connection serves, with its restored key.
    assert_eq!(chat(&gw, "mock/gpt-test").await, 200);
    let got = mock.received().pop().unwrap();
    assert_eq!(
        got.header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
    // And the database takes writes as before.
    gw.add_connection("openai", "after import", "sk-after-0123456789")
        .await;
    assert_eq!(connection_names(&gw).await, ["after import", "original"]);
    assert_eq!(
        backup_files(&gw),
        [name.into_owned()],
        "only the automatic backup remains"
    );
    gw.shutdown().await;
}

/// A multipart file part of `total` bytes: `head`, then zeros, produced as it is sent.
fn padded(head: &[u8], total: usize) -> Part {
    let zeros = bytes::Bytes::from(vec![0u8; 1024 * 1024]);
    let mut chunks = vec![bytes::Bytes::from(head.to_vec())];
    let mut sent = head.len();
    while sent < total {
        let n = (total - sent).min(zeros.len());
        chunks.push(zeros.slice(..n));
        sent += n;
    }
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    Part::stream_with_length(reqwest::Body::wrap_stream(stream), total as u64)
        .file_name("big.sqlite")
}

/// Asserts the live database still holds `expected` connections and takes a new one.
async fn still_intact(gw: &TestGateway, expected: &mut Vec<String>, step: &str) {
    assert_eq!(&connection_names(gw).await, expected, "after {step}");
    let name = format!("written after {step}");
    gw.add_connection("openai", &name, "sk-intact-0123456789")
        .await;
    expected.push(name);
    expected.sort();
    assert_eq!(&connection_names(gw).await, expected, "after {step}");
}

#[tokio::test]
async fn refused_imports_leave_the_database_untouched() {
    let gw = TestGateway::start().await.unwrap();
    let http = reqwest::Client::new();
    gw.add_connection("openai", "precious", "sk-precious-0123456789")
        .await;
    let mut expected = vec!["precious".to_owned()];
    let (_, export) = download(&http, &format!("{}/api/db-backups/export", gw.url)).await;

    let (status, body) = import(&gw, b"just some notes, not a database\n".repeat(100)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_request");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a SQLite database"),
        "{body}"
    );
    still_intact(&gw, &mut expected, "a text file").await;

    // A real export with one page in the middle overwritten: the header survives.
    let mut corrupt = export.clone();
    let page = 4096;
    let pages = corrupt.len() / page;
    assert!(pages > 4, "export has {pages} pages");
    let start = pages / 2 * page;
    corrupt[start..start + page].fill(0x5a);
    let (status, body) = import(&gw, corrupt).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("integrity check"), "{body}");
    still_intact(&gw, &mut expected, "a corrupt file").await;

    // A SQLite database with only some of the required tables.
    let dir = tempfile::tempdir().unwrap();
    let partial = dir.path().join("partial.sqlite");
    let mut db = SqliteConnectOptions::new()
        .filename(&partial)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    for sql in [
        "CREATE TABLE provider_connections (id TEXT PRIMARY KEY, name TEXT)",
        "CREATE TABLE combos (id TEXT PRIMARY KEY, name TEXT)",
        "INSERT INTO provider_connections VALUES ('x', 'from elsewhere')",
    ] {
        sqlx::query(sql).execute(&mut db).await.unwrap();
    }
    db.close().await.unwrap();
    let (status, body) = import(&gw, std::fs::read(&partial).unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing table(s) provider_nodes, api_keys"),
        "{body}"
    );
    still_intact(&gw, &mut expected, "a database missing tables").await;

    // One byte over the cap: a real export padded with zeros, streamed so the test stays small.
    let part = padded(&export, MAX_IMPORT + 1);
    let r = http
        .post(format!("{}/api/db-backups/import", gw.url))
        .multipart(Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than the 100 MB"),
        "{body}"
    );
    still_intact(&gw, &mut expected, "an oversized file").await;

    // No automatic backup was taken for a refused upload, and no scratch file is left.
    assert!(backup_files(&gw).is_empty(), "{:?}", backup_files(&gw));

    // Exactly at the cap is accepted (SQLite ignores the zeros after the last page).
    let r = http
        .post(format!("{}/api/db-backups/import", gw.url))
        .multipart(Form::new().part("file", padded(&export, MAX_IMPORT)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(connection_names(&gw).await, ["precious"]);

    // Not multipart at all.
    let r = http
        .post(format!("{}/api/db-backups/import", gw.url))
        .json(&json!({"file": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("multipart/form-data"),
        "{body}"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn a_backup_whose_credentials_cannot_be_read_here_is_undone() {
    // Another installation: its credentials are sealed with its own secret.key.
    let other = TestGateway::start().await.unwrap();
    other
        .add_connection("openai", "elsewhere", "sk-elsewhere-0123456789")
        .await;
    let http = reqwest::Client::new();
    let (_, foreign) = download(&http, &format!("{}/api/db-backups/export", other.url)).await;
    other.shutdown().await;

    let gw = TestGateway::start().await.unwrap();
    gw.add_connection("openai", "local", "sk-local-0123456789")
        .await;
    let (status, body) = import(&gw, foreign).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("could not be loaded") && message.contains("secret.key"),
        "{body}"
    );
    let mut expected = vec!["local".to_owned()];
    still_intact(&gw, &mut expected, "an import from another installation").await;
    gw.shutdown().await;
}
