//! Records this device does not apply as they are: held bodies, budgets of unknown keys,
//! natural-key matches and constraint clashes, the gateway's check, keys whose destination moved.

use omniroute_sync::{Kind, RecordKey};
use serde_json::{Value, json};

use super::test_fixtures::{Changes, fill, key, open};
use super::*;
use crate::SecretString;
use crate::nodes::ApiType;

#[tokio::test]
async fn unreadable_bodies_are_held_reported_and_handed_back() {
    let (_dir, store, _) = open().await;
    let good = json!({"strategy": "priority", "models": [], "position": 0});
    let batch: Changes = vec![
        (key(Kind::Combo, "ok"), Some(good.clone())),
        (
            key(Kind::Combo, "newer"),
            Some(
                json!({"strategy": "priority", "models": [], "position": 1, "fromTheFuture": true}),
            ),
        ),
        (
            key(Kind::ProviderNode, "bedrock"),
            Some(json!({"name": "B", "apiType": "bedrock", "baseUrl": "https://x"})),
        ),
        (
            key(Kind::Connection, "c1"),
            Some(
                json!({"provider": "openai", "name": "n", "authKind": "magic", "baseUrl": null,
                        "priority": 0, "enabled": true, "planLimitsOnly": false,
                        "account": null, "plan": null}),
            ),
        ),
        (
            key(Kind::CustomModel, "no-slash"),
            Some(json!({"modelName": "m", "kind": "chat"})),
        ),
        (
            key(Kind::Pricing, "openai/x"),
            Some(json!({"inputPer1k": "cheap", "outputPer1k": 1})),
        ),
        (key(Kind::Budget, "k1/daily"), Some(json!({"limit": -1.0}))),
        (key(Kind::Alias, "a"), Some(json!({}))),
        (key(Kind::Settings, "telemetry"), Some(json!({"on": true}))),
        (key(Kind::Combo, ""), Some(good.clone())),
        (key(Kind::Combo, "scalar"), Some(json!(42))),
    ];
    let report = store.apply_synced(&batch).await.unwrap();
    assert_eq!(report.written, vec![key(Kind::Combo, "ok")]);
    assert_eq!(report.held.len(), batch.len() - 1, "{report:?}");
    assert!(report.held.iter().all(|(_, reason)| !reason.is_empty()));
    assert_eq!(store.combos().await.unwrap().len(), 1);

    // Handed back exactly as received, so the journal sees no local edit.
    let rows: BTreeMap<RecordKey, Value> = store.synced_rows().await.unwrap().into_iter().collect();
    for (k, body) in &batch {
        assert_eq!(rows.get(k), body.as_ref(), "{k:?}");
    }

    // A readable version later replaces a held one; a deletion drops one.
    let fixed = json!({"strategy": "priority", "models": [], "position": 1});
    let later: Changes = vec![
        (key(Kind::Combo, "newer"), Some(fixed.clone())),
        (key(Kind::Alias, "a"), None),
    ];
    let report = store.apply_synced(&later).await.unwrap();
    assert_eq!(report.written, vec![key(Kind::Combo, "newer")]);
    let rows: BTreeMap<RecordKey, Value> = store.synced_rows().await.unwrap().into_iter().collect();
    assert_eq!(rows.get(&key(Kind::Combo, "newer")), Some(&fixed));
    assert_eq!(rows.get(&key(Kind::Alias, "a")), None);
}

#[tokio::test]
async fn a_local_edit_outranks_a_held_record() {
    let (_dir, store, _) = open().await;
    let mine = store.insert_combo("x", "priority", &[]).await.unwrap();
    let newer = json!({"strategy": "priority", "models": [], "position": 0, "extra": 1});
    store
        .apply_synced(&[(key(Kind::Combo, "x"), Some(newer.clone()))])
        .await
        .unwrap();
    let held_view = store.synced_rows().await.unwrap();
    assert_eq!(held_view, vec![(key(Kind::Combo, "x"), newer)]);

    store
        .update_combo(&mine.id, "x", "round-robin", &[])
        .await
        .unwrap();
    let rows = store.synced_rows().await.unwrap();
    assert_eq!(rows[0].1["strategy"], "round-robin", "the edit shows");
    store.apply_synced(&[]).await.unwrap();
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sync_held")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(held, 0, "the stale held record is dropped");
}

#[tokio::test]
async fn held_budgets_apply_once_their_key_exists() {
    let (_dir, store, _) = open().await;
    let budget = (key(Kind::Budget, "k1/weekly"), Some(json!({"limit": 12.5})));
    let report = store
        .apply_synced(std::slice::from_ref(&budget))
        .await
        .unwrap();
    assert_eq!(report.held.len(), 1);
    sqlx::query("INSERT INTO api_keys (id, name, key_hash, key_hint, created_at) VALUES ('k1', 'n', 'h', 'x', 0)")
        .execute(store.pool())
        .await
        .unwrap();
    let retried = store.apply_synced(&[]).await.unwrap();
    assert_eq!(retried.written, vec![budget.0.clone()]);
    assert_eq!(store.budgets().await.unwrap()[0].limit, 12.5);
    assert_eq!(
        store.synced_rows().await.unwrap(),
        vec![(budget.0, budget.1.unwrap())]
    );
}

#[tokio::test]
async fn same_natural_key_is_one_row_and_constraint_clashes_are_held_alone() {
    let (_dir, store, _) = open().await;
    // Made here before the group's versions arrived: same prefix, same combo name.
    let node = store
        .insert_node("Mine", "local", ApiType::Anthropic, "http://mine")
        .await
        .unwrap();
    let combo = store.insert_combo("fast", "priority", &[]).await.unwrap();
    let batch: Changes = vec![
        (
            key(Kind::ProviderNode, "local"),
            Some(json!({"name": "Theirs", "apiType": "openai", "baseUrl": "http://theirs"})),
        ),
        (
            key(Kind::Combo, "fast"),
            Some(
                json!({"strategy": "weighted", "models": [{"model": "m", "weight": 3}], "position": 5}),
            ),
        ),
    ];
    let report = store.apply_synced(&batch).await.unwrap();
    assert_eq!(report.written.len(), 2);
    let nodes = store.nodes().await.unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(
        (nodes[0].id.as_str(), nodes[0].name.as_str()),
        (node.id.as_str(), "Theirs")
    );
    let fast = store.combo("fast").await.unwrap().unwrap();
    assert_eq!(
        (fast.id, fast.strategy, fast.position),
        (combo.id, "weighted".into(), 5)
    );

    // A constraint the body cannot break by itself (here: one added for the test) holds that
    // record alone; the rest of the batch applies.
    sqlx::query("CREATE UNIQUE INDEX test_one_combo_per_position ON combos(position)")
        .execute(store.pool())
        .await
        .unwrap();
    let batch: Changes = vec![
        (
            key(Kind::Combo, "clash"),
            Some(json!({"strategy": "priority", "models": [], "position": 5})),
        ),
        (key(Kind::Alias, "x"), Some(json!({"target": "y"}))),
    ];
    let report = store.apply_synced(&batch).await.unwrap();
    assert_eq!(report.written, vec![key(Kind::Alias, "x")]);
    assert_eq!(report.held[0].0, key(Kind::Combo, "clash"));
    assert!(
        report.held[0].1.contains("refused by the database"),
        "{report:?}"
    );
    assert!(store.combo("clash").await.unwrap().is_none());
}

#[tokio::test]
async fn key_destination_moves_are_reported() {
    let (_dir, store, secrets) = open().await;
    let (keyed, _, follower) = fill(&store, &secrets).await;
    let name = crate::connections::api_key_secret_name(&follower);
    secrets
        .put(&name, &SecretString::new("sk-lab"))
        .await
        .unwrap();
    store
        .link_connection_secret(&follower, &name)
        .await
        .unwrap();
    let rows: BTreeMap<RecordKey, Value> = store.synced_rows().await.unwrap().into_iter().collect();

    let mut node = rows[&key(Kind::ProviderNode, "local")].clone();
    node["baseUrl"] = json!("https://elsewhere.example/v1");
    let mut connection = rows[&key(Kind::Connection, &keyed)].clone();
    connection["baseUrl"] = json!("https://proxy.example/v1");
    let report = store
        .apply_synced(&[
            (key(Kind::ProviderNode, "local"), Some(node)),
            (key(Kind::Connection, &keyed), Some(connection)),
        ])
        .await
        .unwrap();
    let mut moved: Vec<(&str, Option<&str>, Option<&str>)> = report
        .moved_keys
        .iter()
        .map(|m| {
            (
                m.connection_id.as_str(),
                m.before.base_url.as_deref(),
                m.after.base_url.as_deref(),
            )
        })
        .collect();
    let mut expected = vec![
        (keyed.as_str(), None, Some("https://proxy.example/v1")),
        (
            follower.as_str(),
            Some("http://127.0.0.1:1/v1"),
            Some("https://elsewhere.example/v1"),
        ),
    ];
    expected.sort();
    moved.sort();
    assert_eq!(moved, expected);
}

#[tokio::test]
async fn the_gateways_check_holds_what_it_refuses() {
    let (_dir, store, _) = open().await;
    let check = |key: &RecordKey, body: &Value| {
        if key.kind == Kind::Combo && body["strategy"] == "nope" {
            Err("unknown strategy 'nope'".to_owned())
        } else {
            Ok(())
        }
    };
    let batch: Changes = vec![
        (
            key(Kind::Combo, "a"),
            Some(json!({"strategy": "nope", "models": [], "position": 0})),
        ),
        (
            key(Kind::Combo, "b"),
            Some(json!({"strategy": "priority", "models": [], "position": 1})),
        ),
    ];
    let report = store.apply_synced_checked(&batch, &check).await.unwrap();
    assert_eq!(report.written, vec![key(Kind::Combo, "b")]);
    assert_eq!(
        report.held,
        vec![(key(Kind::Combo, "a"), "unknown strategy 'nope'".into())]
    );
}

#[tokio::test]
async fn a_key_given_twice_in_a_batch_ends_as_the_last_says() {
    let (_dir, store, _) = open().await;
    store.put_alias("x", "before").await.unwrap();
    let batch: Changes = vec![
        (key(Kind::Alias, "x"), Some(json!({"target": "other"}))),
        (key(Kind::Alias, "x"), Some(json!({"target": "before"}))),
    ];
    store.apply_synced(&batch).await.unwrap();
    assert_eq!(store.aliases().await.unwrap()[0].target, "before");
}
