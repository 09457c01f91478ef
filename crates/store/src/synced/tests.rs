//! Rows as records and back, on real database files: round trips, idempotence, deletions,
//! local state kept, determinism and what never syncs.

use std::collections::BTreeSet;

use omniroute_sync::{Kind, RecordKey};
use serde_json::{Value, json};

use super::test_fixtures::{Changes, as_changes, fill, key, open};
use super::*;
use crate::connections::{AccountMeta, AuthState, ConnectionUpdate};
use crate::{SecretString, Store};

#[tokio::test]
async fn every_kind_round_trips_into_an_empty_store() {
    let (_a_dir, a, a_secrets) = open().await;
    let (keyed, oauth, _) = fill(&a, &a_secrets).await;
    let rows = a.synced_rows().await.unwrap();
    let kinds: BTreeSet<Kind> = rows.iter().map(|(k, _)| k.kind).collect();
    assert_eq!(kinds, SYNCED_ROW_KINDS.into_iter().collect());

    let (_b_dir, b, _) = open().await;
    let report = b.apply_synced(&as_changes(&rows)).await.unwrap();
    assert_eq!(b.synced_rows().await.unwrap(), rows);
    // The budget names an API key that exists only on A: held, and handed back unchanged.
    assert_eq!(report.held.len(), 1, "{report:?}");
    assert_eq!(report.held[0].0.kind, Kind::Budget);
    assert!(b.budgets().await.unwrap().is_empty());
    assert_eq!(report.written.len(), rows.len() - 1);

    // The rows are real rows, under the same ids where ids sync.
    let connection = b.connection(&keyed).await.unwrap().unwrap();
    assert!(connection.plan_limits_only);
    assert_eq!(connection.secret_name, None, "secrets are this device's");
    let meta = b.connection(&oauth).await.unwrap().unwrap().account_meta();
    assert_eq!(meta.clone().unwrap().plan.as_deref(), Some("max"));
    assert_eq!(
        meta.unwrap().state,
        AuthState::Ok,
        "token state is not synced"
    );
    let fast = b.combo("fast").await.unwrap().unwrap();
    assert_eq!(fast.strategy, "weighted");
    assert_eq!(fast.models.len(), 2);
    assert_eq!(b.fallback_chains().await.unwrap().len(), 2);
    assert_eq!(b.aliases().await.unwrap().len(), 2);
    assert_eq!(
        b.custom_models(Some("local")).await.unwrap()[0].model_id,
        "meta/llama-3"
    );
    assert_eq!(b.nodes().await.unwrap()[0].prefix, "local");
    assert_eq!(b.prices().await.unwrap().len(), 1);
    let sections = b.settings_sections().await.unwrap();
    for local in ["security", "logs", "proxy", "active_combo", "auth"] {
        assert!(!sections.contains_key(local), "{local} crossed");
    }
}

#[tokio::test]
async fn applying_again_changes_nothing() {
    let (_a_dir, a, a_secrets) = open().await;
    fill(&a, &a_secrets).await;
    let rows = a.synced_rows().await.unwrap();
    let (_b_dir, b, _) = open().await;
    b.apply_synced(&as_changes(&rows)).await.unwrap();
    let stamps: Vec<i64> = sqlx::query_scalar("SELECT updated_at FROM combos ORDER BY name")
        .fetch_all(b.pool())
        .await
        .unwrap();

    let again = b.apply_synced(&as_changes(&rows)).await.unwrap();
    assert!(!again.changed_anything(), "{again:?}");
    assert_eq!(again.unchanged.len(), rows.len() - 1);
    assert_eq!(again.held.len(), 1, "the budget is still held");
    assert_eq!(b.synced_rows().await.unwrap(), rows);
    let after: Vec<i64> = sqlx::query_scalar("SELECT updated_at FROM combos ORDER BY name")
        .fetch_all(b.pool())
        .await
        .unwrap();
    assert_eq!(after, stamps, "no row was rewritten");
    // And A applying its own rows is a no-op too.
    assert!(
        !a.apply_synced(&as_changes(&rows))
            .await
            .unwrap()
            .changed_anything()
    );
}

#[tokio::test]
async fn deletions_remove_rows_and_release_a_deleted_connections_secrets() {
    let (_a_dir, a, a_secrets) = open().await;
    let (keyed, _, _) = fill(&a, &a_secrets).await;
    let rows = a.synced_rows().await.unwrap();
    let (_b_dir, b, b_secrets) = open().await;
    b.apply_synced(&as_changes(&rows)).await.unwrap();
    // B's user entered their own key for the synced connection.
    let name = crate::connections::api_key_secret_name(&keyed);
    b_secrets
        .put(&name, &SecretString::new("sk-b"))
        .await
        .unwrap();
    b.link_connection_secret(&keyed, &name).await.unwrap();

    let tombstones: Changes = rows.iter().map(|(k, _)| (k.clone(), None)).collect();
    let report = b.apply_synced(&tombstones).await.unwrap();
    assert_eq!(report.released_secrets, vec![name.clone()]);
    report.remove_released_secrets(&b_secrets).await.unwrap();
    assert_eq!(b_secrets.get(&name).await.unwrap(), None);
    assert!(
        b.synced_rows().await.unwrap().is_empty(),
        "held budget gone too"
    );
    assert!(b.combos().await.unwrap().is_empty());
    assert!(b.fallback_chains().await.unwrap().is_empty());
    assert!(b.custom_models(None).await.unwrap().is_empty());
    // Deleting what is not there is nothing.
    let twice = b.apply_synced(&tombstones).await.unwrap();
    assert!(!twice.changed_anything());

    // One kind at a time on A: only that row goes.
    let only = vec![(key(Kind::Alias, "claude-*"), None)];
    a.apply_synced(&only).await.unwrap();
    let left: Vec<_> = a
        .aliases()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.pattern)
        .collect();
    assert_eq!(left, ["gpt-4"]);
    // An alias record deleted takes its fallback chain with it.
    a.apply_synced(&[(key(Kind::Alias, "gpt-4"), None)])
        .await
        .unwrap();
    let chains: Vec<_> = a
        .fallback_chains()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.0)
        .collect();
    assert_eq!(chains, ["fast"]);
}

#[tokio::test]
async fn an_update_keeps_the_connections_secret_and_token_state() {
    let (_a_dir, a, a_secrets) = open().await;
    let (_, oauth, _) = fill(&a, &a_secrets).await;
    let (_b_dir, b, _) = open().await;
    b.apply_synced(&as_changes(&a.synced_rows().await.unwrap()))
        .await
        .unwrap();
    // B signed in itself: its own secret link and token state.
    sqlx::query("INSERT INTO secrets (name, backend, updated_at) VALUES ('connection/x/oauth', 'keychain', 0)")
        .execute(b.pool())
        .await
        .unwrap();
    b.link_connection_secret(&oauth, "connection/x/oauth")
        .await
        .unwrap();
    let b_meta = AccountMeta {
        account: Some("me@example.com".into()),
        plan: Some("max".into()),
        expires_at: Some(42),
        state: AuthState::Refreshing,
        error: None,
    };
    b.set_account_meta(&oauth, &b_meta).await.unwrap();

    // A renames the account and sees a new plan.
    let update = ConnectionUpdate {
        name: Some("renamed".into()),
        priority: Some(7),
        ..Default::default()
    };
    a.update_connection(&oauth, &update).await.unwrap();
    let a_meta = AccountMeta {
        plan: Some("pro".into()),
        ..a.connection(&oauth)
            .await
            .unwrap()
            .unwrap()
            .account_meta()
            .unwrap()
    };
    a.set_account_meta(&oauth, &a_meta).await.unwrap();
    let changed: Changes = as_changes(&a.synced_rows().await.unwrap())
        .into_iter()
        .filter(|(k, _)| k.kind == Kind::Connection && k.id == oauth)
        .collect();
    let report = b.apply_synced(&changed).await.unwrap();
    assert_eq!(report.written, vec![key(Kind::Connection, &oauth)]);
    let on_b = b.connection(&oauth).await.unwrap().unwrap();
    assert_eq!(on_b.name, "renamed");
    assert_eq!(on_b.priority, 7);
    assert_eq!(on_b.secret_name.as_deref(), Some("connection/x/oauth"));
    let meta = on_b.account_meta().unwrap();
    assert_eq!(meta.plan.as_deref(), Some("pro"));
    assert_eq!(
        (meta.expires_at, meta.state),
        (Some(42), AuthState::Refreshing)
    );
    assert!(report.moved_keys.is_empty(), "same provider, same URL");
}

#[tokio::test]
async fn bodies_are_canonical_and_deterministic() {
    let (_dir, store, secrets) = open().await;
    fill(&store, &secrets).await;
    let first = serde_json::to_vec(&store.synced_rows().await.unwrap()).unwrap();
    let second = serde_json::to_vec(&store.synced_rows().await.unwrap()).unwrap();
    assert_eq!(first, second);
    for (_, body) in store.synced_rows().await.unwrap() {
        assert_eq!(body, canonical(body.clone()));
        if let Value::Object(map) = &body {
            let keys: Vec<&String> = map.keys().collect();
            let mut sorted = keys.clone();
            sorted.sort();
            assert_eq!(keys, sorted);
        }
    }
    let text = canonical(json!({"b": 1, "a": {"d": 2, "c": 3}})).to_string();
    assert_eq!(text, r#"{"a":{"c":3,"d":2},"b":1}"#);
}

#[tokio::test]
async fn what_never_syncs_is_absent_and_never_applied() {
    let (_dir, store, secrets) = open().await;
    fill(&store, &secrets).await;
    let rows = store.synced_rows().await.unwrap();
    let text = serde_json::to_string(&rows).unwrap();
    for absent in [
        "sk-never-in-rows",
        "hash-1",
        "ab12",
        "10.0.0.0/8",
        "proxy.local",
        "argon2-hash",
        "refresh refused",
        "secret",
        "expiresAt",
        "needs-sign-in",
    ] {
        assert!(!text.contains(absent), "{absent} synced: {text}");
    }
    let settings: Vec<&str> = rows
        .iter()
        .filter(|(k, _)| k.kind == Kind::Settings)
        .map(|(k, _)| k.id.as_str())
        .collect();
    assert_eq!(
        settings,
        ["ai", "cache", "notifications", "resilience", "routing"]
    );

    // Another device's record of a machine's own section changes nothing here, either way.
    let intruders: Changes = vec![
        (
            key(Kind::Settings, "security"),
            Some(json!({"ipAllow": []})),
        ),
        (key(Kind::Settings, "active_combo"), None),
        (key(Kind::Credential, "c"), Some(json!({"apiKey": "sk"}))),
    ];
    let report = store.apply_synced(&intruders).await.unwrap();
    assert_eq!(
        report.ignored.len(),
        2,
        "credentials go elsewhere: {report:?}"
    );
    assert!(!report.changed_anything());
    let sections = store.settings_sections().await.unwrap();
    assert_eq!(sections["security"], json!({"ipAllow": ["10.0.0.0/8"]}));
    assert_eq!(sections["active_combo"], json!("fast"));
    assert_eq!(store.synced_rows().await.unwrap(), rows);
}

#[tokio::test]
async fn after_a_merge_is_applied_the_journal_sees_only_real_edits() {
    use omniroute_sync::{Clock, DeviceId, Scope, State, merge, record_local_changes};
    async fn current(store: &Store) -> BTreeMap<RecordKey, Value> {
        store.synced_rows().await.unwrap().into_iter().collect()
    }
    async fn apply(store: &Store, merged: &omniroute_sync::Merged) {
        let changes: Changes = merged
            .changed
            .iter()
            .map(|k| (k.clone(), merged.state.body(k).cloned()))
            .collect();
        store.apply_synced(&changes).await.unwrap();
    }
    let (_a_dir, a, a_secrets) = open().await;
    fill(&a, &a_secrets).await;
    let (_b_dir, b, _) = open().await;
    b.insert_combo("mine", "priority", &[]).await.unwrap();
    let (mut a_clock, mut b_clock) = (
        Clock::new(DeviceId::from_bytes([1; 16])),
        Clock::new(DeviceId::from_bytes([2; 16])),
    );
    let mut a_state = State::new();
    let kinds = SYNCED_ROW_KINDS;
    let scope = Scope::default();
    record_local_changes(
        &mut a_state,
        &current(&a).await,
        &kinds,
        scope,
        &mut a_clock,
        1_000,
    );

    // B joins: merges the group first, writes it, then records what is its own.
    let merged = merge(&State::new(), &a_state);
    apply(&b, &merged).await;
    let mut b_state = merged.state;
    let edits = record_local_changes(
        &mut b_state,
        &current(&b).await,
        &kinds,
        scope,
        &mut b_clock,
        2_000,
    );
    let edited: Vec<RecordKey> = edits.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        edited,
        vec![key(Kind::Combo, "mine")],
        "the held budget is no edit"
    );

    let merged = merge(&a_state, &b_state);
    apply(&a, &merged).await;
    a_state = merged.state;
    let edits = record_local_changes(
        &mut a_state,
        &current(&a).await,
        &kinds,
        scope,
        &mut a_clock,
        3_000,
    );
    assert!(edits.is_empty(), "{edits:?}");
    assert_eq!(current(&a).await, current(&b).await);
}
