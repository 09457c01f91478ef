//! Credentials as records through the (encrypted) secret store: round trip, linking in either
//! order, kind switches, deletions, shapes from newer versions.

use omniroute_sync::Kind;
use serde_json::{Value, json};

use super::test_fixtures::{Changes, as_changes, fill, key, open};
use crate::SecretString;
use crate::connections::{AccountMeta, AuthState, api_key_secret_name, oauth_secret_name};

fn token_doc() -> Value {
    json!({"access_token": "at-1", "refresh_token": "rt-1", "expires_at_ms": 1_700_000_000_000_i64})
}

#[tokio::test]
async fn credentials_round_trip_and_link_to_their_connections() {
    let (_a_dir, a, a_secrets) = open().await;
    let (keyed, oauth, _) = fill(&a, &a_secrets).await;
    // A signed in the OAuth account; the gateway stores its document in its own field order.
    a_secrets
        .put(
            &oauth_secret_name(&oauth),
            &SecretString::new(
                r#"{"refresh_token":"rt-1","access_token":"at-1","expires_at_ms":1700000000000}"#,
            ),
        )
        .await
        .unwrap();
    a.link_connection_secret(&oauth, &oauth_secret_name(&oauth))
        .await
        .unwrap();
    let credentials = a.synced_credentials(&a_secrets).await.unwrap();
    let mut expected = vec![
        (
            key(Kind::Credential, &keyed),
            json!({"apiKey": "sk-never-in-rows"}),
        ),
        (key(Kind::Credential, &oauth), json!({"oauth": token_doc()})),
    ];
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(credentials, expected);

    let (_b_dir, b, b_secrets) = open().await;
    // Credentials before rows: the secrets wait, and the rows link them when they arrive.
    let report = b
        .apply_synced_credentials(&b_secrets, &as_changes(&credentials))
        .await
        .unwrap();
    assert_eq!(report.written.len(), 2);
    b.apply_synced(&as_changes(&a.synced_rows().await.unwrap()))
        .await
        .unwrap();
    let on_b = b.connection(&keyed).await.unwrap().unwrap();
    assert_eq!(on_b.secret_name, Some(api_key_secret_name(&keyed)));
    assert_eq!(
        b_secrets.get(&api_key_secret_name(&keyed)).await.unwrap(),
        Some(SecretString::new("sk-never-in-rows"))
    );
    let signed_in = b.connection(&oauth).await.unwrap().unwrap();
    assert_eq!(signed_in.secret_name, Some(oauth_secret_name(&oauth)));
    assert_eq!(b.synced_credentials(&b_secrets).await.unwrap(), credentials);

    let again = b
        .apply_synced_credentials(&b_secrets, &as_changes(&credentials))
        .await
        .unwrap();
    assert_eq!(again.unchanged.len(), 2, "{again:?}");
    assert!(!again.changed_anything());
}

#[tokio::test]
async fn a_credential_for_an_existing_connection_replaces_the_other_kind_and_signs_it_in() {
    let (_dir, store, secrets) = open().await;
    let (keyed, oauth, _) = fill(&store, &secrets).await;
    // The OAuth account needs a new sign-in here; another device signed in again.
    let changes: Changes = vec![(
        key(Kind::Credential, &oauth),
        Some(json!({"oauth": token_doc()})),
    )];
    let report = store
        .apply_synced_credentials(&secrets, &changes)
        .await
        .unwrap();
    assert_eq!(report.written, vec![key(Kind::Credential, &oauth)]);
    let connection = store.connection(&oauth).await.unwrap().unwrap();
    assert_eq!(connection.secret_name, Some(oauth_secret_name(&oauth)));
    let meta: AccountMeta = connection.account_meta().unwrap();
    assert_eq!(meta.state, AuthState::Ok);
    assert_eq!(meta.error, None);
    assert_eq!(meta.expires_at, Some(1_700_000_000_000), "the rest stays");

    // The API-key connection switched to a signed-in account on another device.
    let changes: Changes = vec![(
        key(Kind::Credential, &keyed),
        Some(json!({"oauth": token_doc()})),
    )];
    store
        .apply_synced_credentials(&secrets, &changes)
        .await
        .unwrap();
    assert_eq!(
        secrets.get(&api_key_secret_name(&keyed)).await.unwrap(),
        None
    );
    assert_eq!(
        store.connection(&keyed).await.unwrap().unwrap().secret_name,
        Some(oauth_secret_name(&keyed))
    );
}

#[tokio::test]
async fn a_deleted_credential_removes_every_secret_and_unlinks() {
    let (_dir, store, secrets) = open().await;
    let (keyed, _, _) = fill(&store, &secrets).await;
    let tombstone: Changes = vec![(key(Kind::Credential, &keyed), None)];
    let report = store
        .apply_synced_credentials(&secrets, &tombstone)
        .await
        .unwrap();
    assert_eq!(report.deleted, vec![key(Kind::Credential, &keyed)]);
    assert_eq!(
        secrets.get(&api_key_secret_name(&keyed)).await.unwrap(),
        None
    );
    assert_eq!(
        store.connection(&keyed).await.unwrap().unwrap().secret_name,
        None
    );
    assert!(store.synced_credentials(&secrets).await.unwrap().is_empty());
    let again = store
        .apply_synced_credentials(&secrets, &tombstone)
        .await
        .unwrap();
    assert_eq!(again.unchanged, vec![key(Kind::Credential, &keyed)]);
}

#[tokio::test]
async fn an_unknown_shape_is_kept_encrypted_and_handed_back() {
    let (dir, store, secrets) = open().await;
    let (keyed, _, follower) = fill(&store, &secrets).await;
    let newer = json!({"awsKeys": {"accessKeyId": "AKIA-HELD-SECRET", "secretAccessKey": "s"}});
    let changes: Changes = vec![
        (key(Kind::Credential, &follower), Some(newer.clone())),
        // A connection that is not here (deleted here, say): stored, but not handed back.
        (
            key(Kind::Credential, "gone"),
            Some(json!({"apiKey": "sk-gone"})),
        ),
        (key(Kind::Credential, "a/b"), Some(json!({"apiKey": "x"}))),
        (key(Kind::Combo, "ignored-here"), None),
    ];
    let report = store
        .apply_synced_credentials(&secrets, &changes)
        .await
        .unwrap();
    assert_eq!(report.held.len(), 1);
    assert_eq!(report.ignored.len(), 1, "not a connection id");
    let credentials = store.synced_credentials(&secrets).await.unwrap();
    let ids: Vec<&str> = credentials.iter().map(|(k, _)| k.id.as_str()).collect();
    let mut expected = vec![keyed.as_str(), follower.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(credentials.contains(&(key(Kind::Credential, &follower), newer)));

    store.close().await;
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let Ok(bytes) = std::fs::read(file.unwrap().path()) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("AKIA-HELD-SECRET"), "clear text on disk");
    }
}
