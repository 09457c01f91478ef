use super::*;

async fn open(kind: SecretBackendKind) -> (tempfile::TempDir, Store, Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::testing::store(dir.path()).await;
    let secrets = Secrets::open(&store, dir.path(), kind).await.unwrap();
    (dir, store, secrets)
}

#[tokio::test]
async fn encrypted_round_trip_never_stores_clear_text() {
    let (dir, store, secrets) = open(SecretBackendKind::Encrypted).await;
    let key = SecretString::new("sk-live-0123456789abcdefSECRET");
    secrets.put("connection/a/api_key", &key).await.unwrap();
    assert_eq!(
        secrets.get("connection/a/api_key").await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(secrets.get("connection/missing").await.unwrap(), None);

    store.close().await;
    for file in std::fs::read_dir(dir.path()).unwrap() {
        // SQLite may still be removing its -wal/-shm files as the last connection closes.
        let Ok(bytes) = std::fs::read(file.unwrap().path()) else {
            continue;
        };
        let hay = String::from_utf8_lossy(&bytes);
        assert!(
            !hay.contains("0123456789abcdefSECRET"),
            "clear text secret on disk"
        );
    }

    // Survives a restart with the same key file.
    let store = crate::testing::store(dir.path()).await;
    let secrets = Secrets::open(&store, dir.path(), SecretBackendKind::Encrypted)
        .await
        .unwrap();
    assert_eq!(
        secrets.get("connection/a/api_key").await.unwrap(),
        Some(key)
    );
    secrets.delete("connection/a/api_key").await.unwrap();
    assert_eq!(secrets.get("connection/a/api_key").await.unwrap(), None);
}

#[cfg(unix)]
#[tokio::test]
async fn key_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, _store, _secrets) = open(SecretBackendKind::Encrypted).await;
    let path = dir.path().join(encrypted::KEY_FILE);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 32);
}

#[tokio::test]
async fn a_replaced_key_file_is_a_clear_error_and_names_are_bound() {
    let (dir, store, secrets) = open(SecretBackendKind::Encrypted).await;
    secrets.put("a", &SecretString::new("one")).await.unwrap();
    // A ciphertext copied to another name does not decrypt (the name is authenticated).
    sqlx::query("INSERT INTO secrets (name, backend, nonce, ciphertext, updated_at) SELECT 'b', backend, nonce, ciphertext, 0 FROM secrets WHERE name = 'a'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        secrets.get("b").await,
        Err(SecretError::Decrypt { .. })
    ));

    std::fs::remove_file(dir.path().join(encrypted::KEY_FILE)).unwrap();
    let other = Secrets::open(&store, dir.path(), SecretBackendKind::Encrypted)
        .await
        .unwrap();
    let err = other.get("a").await.unwrap_err();
    assert!(err.to_string().contains("cannot be decrypted"), "{err}");
}

#[test]
fn secret_string_never_prints() {
    let s = SecretString::new("hunter2");
    assert_eq!(format!("{s:?} {s}"), "SecretString(***) ***");
}

/// Runs against the real OS keychain. The test command starts a D-Bus session with an unlocked
/// gnome-keyring and sets OMNIROUTE_REQUIRE_KEYCHAIN=1; elsewhere the test says it was skipped.
#[tokio::test]
async fn keychain_round_trip() {
    if std::env::var("OMNIROUTE_REQUIRE_KEYCHAIN").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set OMNIROUTE_REQUIRE_KEYCHAIN=1 inside a D-Bus session with a keyring"
        );
        return;
    }
    let (_dir, store, secrets) = open(SecretBackendKind::Keychain).await;
    let value = SecretString::new("oauth-refresh-token-xyz");
    secrets
        .put("connection/k/refresh_token", &value)
        .await
        .unwrap();
    assert_eq!(
        secrets.get("connection/k/refresh_token").await.unwrap(),
        Some(value)
    );
    let (backend, ciphertext): (String, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT backend, ciphertext FROM secrets WHERE name = 'connection/k/refresh_token'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(backend, "keychain");
    assert!(
        ciphertext.is_none(),
        "a keychain secret must not be in the database"
    );

    // Switching the write backend keeps old secrets readable and moves rewrites out of the keychain.
    let encrypted = Secrets::open(&store, _dir.path(), SecretBackendKind::Encrypted)
        .await
        .unwrap();
    assert!(
        encrypted
            .get("connection/k/refresh_token")
            .await
            .unwrap()
            .is_some()
    );
    secrets.delete("connection/k/refresh_token").await.unwrap();
    assert_eq!(
        secrets.get("connection/k/refresh_token").await.unwrap(),
        None
    );
}
