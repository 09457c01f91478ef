//! Test fixtures of the sync module: stores on real files, and one of everything in them.

use omniroute_sync::{Kind, RecordKey};
use serde_json::{Value, json};

use crate::combos::ComboTarget;
use crate::connections::{AccountMeta, AuthState, ConnectionUpdate, NewConnection};
use crate::nodes::ApiType;
use crate::provider_models::CustomModel;
use crate::{SecretBackendKind, SecretString, Secrets, Store};

pub(super) type Changes = Vec<(RecordKey, Option<Value>)>;

pub(super) async fn open() -> (tempfile::TempDir, Store, Secrets) {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::testing::store(dir.path()).await;
    let secrets = Secrets::open(&store, dir.path(), SecretBackendKind::Encrypted)
        .await
        .unwrap();
    (dir, store, secrets)
}

pub(super) fn key(kind: Kind, id: &str) -> RecordKey {
    RecordKey::new(kind, id)
}

/// Every row as a change that sets it.
pub(super) fn as_changes(rows: &[(RecordKey, Value)]) -> Changes {
    rows.iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect()
}

pub(super) fn api_key_connection(provider: &str, name: &str) -> NewConnection {
    NewConnection {
        provider: provider.into(),
        name: name.into(),
        auth_kind: "api_key".into(),
        base_url: None,
        priority: 1,
        enabled: true,
    }
}

/// One of everything, synced or not. Returns the ids of the API-key connection, the OAuth one
/// and the one following the node.
pub(super) async fn fill(store: &Store, secrets: &Secrets) -> (String, String, String) {
    store
        .insert_node("Local", "local", ApiType::Openai, "http://127.0.0.1:1/v1")
        .await
        .unwrap();
    let keyed = store
        .insert_connection(&api_key_connection("openai", "main"), false)
        .await
        .unwrap();
    let key_name = crate::connections::api_key_secret_name(&keyed.id);
    secrets
        .put(&key_name, &SecretString::new("sk-never-in-rows"))
        .await
        .unwrap();
    store
        .link_connection_secret(&keyed.id, &key_name)
        .await
        .unwrap();
    let update = ConnectionUpdate {
        plan_limits_only: Some(true),
        ..Default::default()
    };
    store.update_connection(&keyed.id, &update).await.unwrap();
    let oauth = NewConnection {
        auth_kind: "oauth".into(),
        ..api_key_connection("claude", "me")
    };
    let oauth = store.insert_connection(&oauth, false).await.unwrap();
    let meta = AccountMeta {
        account: Some("me@example.com".into()),
        plan: Some("max".into()),
        expires_at: Some(1_700_000_000_000),
        state: AuthState::NeedsSignIn,
        error: Some("refresh refused".into()),
    };
    store.set_account_meta(&oauth.id, &meta).await.unwrap();
    let follower = NewConnection {
        base_url: None,
        ..api_key_connection("local", "lab")
    };
    let follower = store.insert_connection(&follower, false).await.unwrap();
    store
        .put_custom_model(&CustomModel {
            provider: "local".into(),
            model_id: "meta/llama-3".into(),
            model_name: "Llama 3".into(),
            kind: "chat".into(),
        })
        .await
        .unwrap();
    store.put_alias("gpt-4", "openai/gpt-4o").await.unwrap();
    store.put_alias("claude-*", "claude/sonnet").await.unwrap();
    store
        .put_fallback_chain("gpt-4", &["claude/sonnet".into()])
        .await
        .unwrap();
    store
        .put_fallback_chain("fast", &["openai/gpt-4o-mini".into()])
        .await
        .unwrap();
    let targets = [
        ComboTarget {
            model: "openai/gpt-4o".into(),
            weight: 2,
        },
        ComboTarget {
            model: "local/meta/llama-3".into(),
            weight: 1,
        },
    ];
    store
        .insert_combo("fast", "weighted", &targets)
        .await
        .unwrap();
    store
        .insert_combo("cheap", "priority", &targets[1..])
        .await
        .unwrap();
    store
        .put_prices(&[("openai/gpt-4o".into(), Some((0.0025, 0.01)))])
        .await
        .unwrap();
    let api_key = store
        .create_api_key("laptop", "hash-1", "ab12")
        .await
        .unwrap();
    store.put_budget(&api_key.id, "daily", 5.0).await.unwrap();
    let sections = [
        (
            "routing",
            json!({"accountStrategy": "round-robin", "stickyLimit": 3}),
        ),
        (
            "ai",
            json!({"systemPromptPrefix": "Be brief.", "thinkingMode": "passthrough"}),
        ),
        ("resilience", json!({"breaker": {"failures": 5}})),
        ("cache", json!({"enabled": false, "ttlSeconds": 60})),
        ("notifications", json!({"quotaAt80": false})),
        ("security", json!({"ipAllow": ["10.0.0.0/8"]})),
        ("logs", json!({"maxAgeDays": 3})),
        ("proxy", json!({"global": {"host": "proxy.local"}})),
        ("active_combo", json!("fast")),
        ("auth", json!({"hash": "argon2-hash"})),
    ];
    let refs: Vec<(&str, &Value)> = sections.iter().map(|(k, v)| (*k, v)).collect();
    store.put_settings_sections(&refs).await.unwrap();
    sqlx::query(
        "INSERT INTO usage (ts, api_key_id, model, client_format, status) VALUES (1, $1, 'openai/gpt-4o', 'openai', 200)",
    )
    .bind(&api_key.id)
    .execute(store.pool())
    .await
    .unwrap();
    store
        .lock(
            crate::lockouts::LockScope::Model,
            "openai/gpt-4o",
            "test",
            None,
        )
        .await
        .unwrap();
    (keyed.id, oauth.id, follower.id)
}
