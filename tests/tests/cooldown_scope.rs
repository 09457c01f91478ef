//! The cooldown's scope follows the failure: a model that fails (5xx, a per-model rate limit)
//! rests on that account only, so the account keeps serving its other models and the other
//! accounts keep serving that model; a failure of the account itself (401/403, an exhausted
//! quota) rests the whole account. A model one account's upstream does not know rests on that
//! account only. Through real HTTP, one provider with accounts A and B.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::mock::{Fault, Format, Script};
use omniroute_e2e::{MockUpstream, TestGateway, clients};
use serde_json::{Value, json};

struct Rig {
    gw: TestGateway,
    mock: MockUpstream,
    http: reqwest::Client,
    a: String,
}

impl Rig {
    async fn new() -> Self {
        let gw = TestGateway::start().await.unwrap();
        let mock = MockUpstream::start().await.unwrap();
        gw.add_node("p", "openai", &format!("{}/v1", mock.url()))
            .await;
        let a = gw
            .add_ranked_connection("p", "acct-a", "sk-a-0123456789", 1)
            .await;
        gw.add_ranked_connection("p", "acct-b", "sk-b-0123456789", 2)
            .await;
        let http = reqwest::Client::new();
        Self { gw, mock, http, a }
    }

    /// Route header of a chat request for `model`.
    async fn route(&self, model: &str) -> String {
        let (path, body) = clients::request(Format::OpenAiChat, model, "hi", false, false);
        let r = self
            .http
            .post(format!("{}{path}", self.gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{model}");
        r.headers()["x-omniroute-route"]
            .to_str()
            .unwrap()
            .to_owned()
    }

    async fn cooldowns(&self) -> Vec<Value> {
        let r: Value = self
            .http
            .get(format!("{}/api/resilience", self.gw.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["cooldowns"].as_array().unwrap().clone()
    }

    async fn reset(&self) {
        self.http
            .post(format!("{}/api/resilience/reset", self.gw.url))
            .send()
            .await
            .unwrap();
        self.mock.reset();
    }
}

#[tokio::test]
async fn the_cooldown_scope_follows_the_failure() {
    let rig = Rig::new().await;
    let mut table = vec!["| failure on (A, x) | then x | then y | scope |".to_owned()];
    for (status, message, scope) in [
        (500, "internal error", "model"),
        (503, "overloaded", "model"),
        (429, "Rate limit reached for requests", "model"),
        // A's plan does not have x; B's does: no lockout of x for everyone.
        (404, "The model `x` does not exist", "model"),
        (401, "invalid api key", "account"),
        (403, "forbidden", "account"),
        (429, "You exceeded your current quota", "account"),
    ] {
        rig.reset().await;
        rig.mock.push(Script {
            model: Some("x".into()),
            fault: Fault {
                status: Some(status),
                error_message: Some(message.into()),
                ..Fault::default()
            },
            ..Script::default()
        });
        // The failure on A: B serves at once.
        let first = rig.route("p/x").await;
        assert!(
            first.contains("account=acct-b") && first.ends_with("attempts=2"),
            "{status} {message}: {first}"
        );
        let again_x = rig.route("p/x").await;
        let then_y = rig.route("p/y").await;
        // x never goes back to A while it rests (B serves it).
        assert!(again_x.contains("account=acct-b"), "{status}: {again_x}");
        let resting = rig.cooldowns().await;
        let on_a: Vec<&Value> = resting
            .iter()
            .filter(|c| c["connection"] == rig.a.as_str())
            .collect();
        assert_eq!(on_a.len(), 1, "{resting:?}");
        assert_eq!(on_a[0]["scope"], scope, "{status} {message}: {resting:?}");
        if scope == "model" {
            // A keeps serving its other models.
            assert!(then_y.contains("account=acct-a"), "{status}: {then_y}");
            assert_eq!(on_a[0]["model"], "p/x");
        } else {
            assert!(then_y.contains("account=acct-b"), "{status}: {then_y}");
            assert!(on_a[0]["model"].is_null());
        }
        if status == 404 {
            let report: Value = rig
                .http
                .get(format!("{}/api/resilience", rig.gw.url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(report["lockouts"], json!([]), "{report}");
        }
        table.push(format!(
            "| {status} {message} | {again_x} | {then_y} | {scope} |"
        ));
    }
    println!("{}", table.join("\n"));
    rig.gw.shutdown().await;
}

#[tokio::test]
async fn one_failing_model_does_not_take_other_combos_down() {
    // The report: one 500 on one model made every combo over the same connections
    // answer "every account is cooling down".
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    gw.add_node("oa", "openai", &format!("{}/v1", mock.url()))
        .await;
    gw.add_node("an", "anthropic", &mock.url()).await;
    gw.add_connection("oa", "oa-main", "sk-oa-0123456789").await;
    gw.add_connection("an", "an-main", "sk-an-0123456789").await;
    let http = reqwest::Client::new();
    for (name, models) in [
        ("one", json!(["oa/a", "an/b"])),
        ("two", json!(["oa/c", "an/d"])),
    ] {
        let r = http
            .post(format!("{}/api/combos", gw.url))
            .json(&json!({"name": name, "strategy": "priority", "models": models}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    mock.push(Script {
        model: Some("a".into()),
        fault: Fault {
            status: Some(500),
            ..Fault::default()
        },
        ..Script::default()
    });
    let send = |combo: &'static str| {
        let http = http.clone();
        let url = gw.url.clone();
        async move {
            let (path, body) = clients::request(Format::OpenAiChat, combo, "hi", false, false);
            let r = http
                .post(format!("{url}{path}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let route = r.headers()["x-omniroute-route"]
                .to_str()
                .unwrap()
                .to_owned();
            (r.status().as_u16(), route)
        }
    };
    let (status, route) = send("one").await;
    assert_eq!(status, 200);
    assert!(route.starts_with("an/b;"), "{route}");
    // The other combo's first target is on the same account: it still serves.
    let (status, route) = send("two").await;
    assert_eq!(status, 200);
    assert!(
        route.starts_with("oa/c;") && route.ends_with("attempts=1"),
        "{route}"
    );
    gw.shutdown().await;
}
