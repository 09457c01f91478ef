//! Several gateways as one: two instances on one PostgreSQL database and one Redis server, each
//! started by the test from Debian's packages on loopback. A breaker opened through one
//! refuses through the other, a per-account limit in flight holds across both, a budget used up
//! through one stops the other, an idempotent retry landing on the other gets the first
//! answer, a combo activated through one is active on the other within a second — and when
//! Redis is killed mid-load no request fails, both say they run on their own state, and they
//! share again once it is back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use omniroute_e2e::mock::{Fault, Format, Reply, Script, Usage};
use omniroute_e2e::services::{Postgres, Redis};
use omniroute_e2e::{MockUpstream, TestGateway, clients};
use serde_json::{Value, json};

/// Secrets every instance of one deployment shares.
const SHARED: [(&str, &str); 3] = [
    (
        "SECRET_KEY",
        "8f2c41d3a9b0e7f61c5d28a4b3e9f0a1c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2",
    ),
    ("JWT_SECRET", "scale-out-test-jwt-secret"),
    ("API_KEY_SECRET", "scale-out-test-api-key-secret"),
];

struct Pair {
    a: TestGateway,
    b: TestGateway,
    mock: MockUpstream,
    http: reqwest::Client,
    redis: Redis,
    _postgres: Postgres,
}

impl Pair {
    /// Two gateways on one new database and one Redis, with a provider `p` (two accounts)
    /// configured through the first.
    async fn start() -> Self {
        let postgres = Postgres::start();
        let redis = Redis::start();
        let database = postgres.database().await;
        let redis_url = redis.url();
        let mut vars = vec![
            ("DATABASE_URL", database.as_str()),
            ("REDIS_URL", redis_url.as_str()),
        ];
        vars.extend(SHARED);
        let a = TestGateway::start_with(&vars).await.unwrap();
        let b = TestGateway::start_with(&vars).await.unwrap();
        let mock = MockUpstream::start().await.unwrap();
        let pair = Self {
            a,
            b,
            mock,
            http: reqwest::Client::new(),
            redis,
            _postgres: postgres,
        };
        pair.wait_shared(&pair.a).await;
        pair.wait_shared(&pair.b).await;
        pair.a
            .add_node("p", "openai", &pair.mock.base_url(Format::OpenAiChat))
            .await;
        for n in 0..2 {
            pair.a
                .add_connection("p", &format!("p-{n}"), "sk-upstream-0123456789")
                .await;
        }
        pair.b_caught_up().await;
        pair
    }

    /// Waits until B has applied every configuration change made through A so far: events
    /// arrive in order, so once a marker combo made active last is active on B, so is the rest.
    async fn b_caught_up(&self) {
        let mut id = [0u8; 6];
        getrandom::fill(&mut id).unwrap();
        let marker = format!(
            "marker-{}",
            u64::from_le_bytes([id[0], id[1], id[2], id[3], id[4], id[5], 0, 0])
        );
        let combo = json!({"name": marker, "strategy": "priority", "models": ["p/m-marker"]});
        self.send(&self.a, reqwest::Method::POST, "/api/combos", combo)
            .await;
        self.send(
            &self.a,
            reqwest::Method::PUT,
            "/api/combos/active",
            json!({"name": marker}),
        )
        .await;
        self.until(&self.b, "/api/combos/active", Duration::from_secs(5), |a| {
            a["name"] == marker.as_str()
        })
        .await;
    }

    async fn get(&self, gw: &TestGateway, path: &str) -> Value {
        get(&self.http, gw, path).await
    }

    async fn metrics(&self, gw: &TestGateway) -> String {
        let r = self.http.get(format!("{}/metrics", gw.url)).send().await;
        r.unwrap().text().await.unwrap()
    }

    /// Polls `path` on `gw` until `done` holds, for at most `within`; the last answer.
    async fn until(
        &self,
        gw: &TestGateway,
        path: &str,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let answer = self.get(gw, path).await;
            if done(&answer) {
                return answer;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never got there: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    async fn health(&self, gw: &TestGateway) -> Value {
        self.get(gw, "/api/health").await
    }

    /// Waits until `gw` reports its shared-state `state` (`shared` or `local`).
    async fn wait_state(&self, gw: &TestGateway, state: &str) -> Value {
        self.until(gw, "/api/health", Duration::from_secs(15), |h| {
            h["shared_state"]["state"] == state
        })
        .await
    }

    async fn wait_shared(&self, gw: &TestGateway) {
        self.wait_state(gw, "shared").await;
    }

    async fn chat(&self, gw: &TestGateway, model: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let (path, body) = clients::request(Format::OpenAiChat, model, "hi", false, false);
        let mut request = self.http.post(format!("{}{path}", gw.url)).json(&body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        let replayed = r.headers().contains_key("x-omniroute-idempotent-replay");
        let mut body: Value = r.json().await.unwrap_or(Value::Null);
        if replayed {
            body["replayed"] = json!(true);
        }
        (status, body)
    }

    async fn send(
        &self,
        gw: &TestGateway,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Value {
        let r = self
            .http
            .request(method, format!("{}{path}", gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }
}

async fn get(http: &reqwest::Client, gw: &TestGateway, path: &str) -> Value {
    let r = http.get(format!("{}{path}", gw.url)).send().await.unwrap();
    r.json().await.unwrap()
}

fn text(body: &Value) -> String {
    body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_combo_activated_through_one_is_active_on_the_other_within_a_second() {
    let pair = Pair::start().await;
    for name in ["first", "second"] {
        let combo =
            json!({"name": name, "strategy": "priority", "models": [format!("p/m-{name}")]});
        pair.send(&pair.a, reqwest::Method::POST, "/api/combos", combo)
            .await;
    }
    let health = pair.health(&pair.b).await;
    assert!(
        health["database"]
            .as_str()
            .unwrap()
            .starts_with("postgres postgres://omniroute@127.0.0.1"),
        "{health}"
    );
    for name in ["first", "second"] {
        pair.send(
            &pair.a,
            reqwest::Method::PUT,
            "/api/combos/active",
            json!({"name": name}),
        )
        .await;
        let set = Instant::now();
        loop {
            let active: Value = pair
                .http
                .get(format!("{}/api/combos/active", pair.b.url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if active["name"] == name {
                break;
            }
            assert!(
                set.elapsed() < Duration::from_secs(1),
                "B still has {active}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        println!(
            "combo '{name}' active on the other instance after {:?}",
            set.elapsed()
        );
        // And B routes by it: `auto` goes to the combo's model.
        let (status, _) = pair.chat(&pair.b, "auto", &[]).await;
        assert_eq!(status, 200);
        let last = pair.mock.received().pop().unwrap();
        assert_eq!(last.body["model"], format!("m-{name}"));
    }
}

#[tokio::test]
async fn a_breaker_opened_through_one_refuses_through_the_other() {
    let pair = Pair::start().await;
    let profiles = json!({"profiles": {"apiKey": {"failureThreshold": 2, "cooldownMs": 30000}}});
    pair.send(&pair.a, reqwest::Method::PATCH, "/api/resilience", profiles)
        .await;
    for _ in 0..2 {
        pair.mock.push(Script {
            fault: Fault {
                status: Some(500),
                ..Fault::default()
            },
            ..Script::default()
        });
    }
    let (status, _) = pair.chat(&pair.a, "p/m-1", &[]).await;
    assert_eq!(status, 503);
    assert_eq!(
        pair.mock.received().len(),
        2,
        "both accounts tried through A"
    );
    pair.until(&pair.b, "/api/resilience", Duration::from_secs(1), |r| {
        r["breakers"]["p"]["state"] == "OPEN"
    })
    .await;
    let (status, body) = pair.chat(&pair.b, "p/m-1", &[]).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.to_string().contains("circuit open"), "{body}");
    assert_eq!(
        pair.mock.received().len(),
        2,
        "nothing reached upstream through B"
    );
}

#[tokio::test]
async fn a_limit_in_flight_holds_across_both_instances() {
    let pair = Pair::start().await;
    let limits = json!({"profiles": {"apiKeyRateLimits": {"requestsPerMinute": 0, "minGapMs": 0, "maxConcurrent": 1}}});
    pair.send(&pair.a, reqwest::Method::PATCH, "/api/resilience", limits)
        .await;
    // The change reaches B through Redis within moments.
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let report: Value = pair
            .http
            .get(format!("{}/api/resilience", pair.b.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if report["profiles"]["apiKeyRateLimits"]["maxConcurrent"] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B never read the limits: {report}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    pair.mock.set_default(Script {
        fault: Fault {
            delay_ms: 150,
            ..Fault::default()
        },
        ..Script::default()
    });
    // At most one request in flight per account, whichever instance the requests arrive at:
    // the first account (priority) serves one at a time and the others queue for it, where
    // two instances counting alone would let two through at once.
    let runs = (0..12).map(|i| {
        let gw = if i % 2 == 0 { &pair.a } else { &pair.b };
        pair.chat(gw, "p/m-1", &[])
    });
    let results = futures_util::future::join_all(runs).await;
    assert!(results.iter().all(|(s, _)| *s == 200), "{results:?}");
    assert_eq!(pair.mock.received().len(), 12);
    let peak = pair.mock.max_in_flight();
    println!("peak in flight at the upstream: {peak}");
    assert_eq!(peak, 1, "{peak} in flight at once on one account");
}

#[tokio::test]
async fn a_budget_used_up_through_one_stops_the_other() {
    let pair = Pair::start().await;
    pair.send(
        &pair.a,
        reqwest::Method::PUT,
        "/api/pricing",
        json!({"p/m-1": {"inputPer1k": 1.0, "outputPer1k": 0.0}}),
    )
    .await;
    pair.mock.set_default(Script {
        reply: Reply {
            usage: Usage {
                input: 600,
                output: 0,
                cached: 0,
                reasoning: 0,
            },
            ..Reply::text("ok")
        },
        ..Script::default()
    });
    let created = pair
        .send(
            &pair.a,
            reqwest::Method::POST,
            "/api/keys",
            json!({"name": "team"}),
        )
        .await;
    let (id, key) = (
        created["id"].as_str().unwrap(),
        created["key"].as_str().unwrap(),
    );
    pair.send(
        &pair.a,
        reqwest::Method::POST,
        "/api/usage/budget",
        json!({"keyId": id, "limit": 1.0, "period": "daily"}),
    )
    .await;
    let bearer = format!("Bearer {key}");
    let auth = [("authorization", bearer.as_str())];
    // The new key and its budget reach B first (configuration propagation has its own test).
    pair.b_caught_up().await;
    // $0.60 through B, then $0.60 through A: $1.20 of $1.00.
    assert_eq!(pair.chat(&pair.b, "p/m-1", &auth).await.0, 200);
    assert_eq!(pair.chat(&pair.a, "p/m-1", &auth).await.0, 200);
    let calls = pair.mock.received().len();
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let (status, body) = pair.chat(&pair.b, "p/m-1", &auth).await;
        if status == 429 {
            assert!(body.to_string().contains("daily budget"), "{body}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B still serves the key: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(pair.mock.received().len() <= calls + 1);
}

#[tokio::test]
async fn an_idempotent_retry_on_the_other_instance_gets_the_first_answer() {
    let pair = Pair::start().await;
    pair.mock.push(Script {
        reply: Reply::text("the one answer"),
        fault: Fault {
            delay_ms: 400,
            ..Fault::default()
        },
        ..Script::default()
    });
    pair.mock.set_default(Script {
        reply: Reply::text("a second call"),
        ..Script::default()
    });
    let key = [("idempotency-key", "order-42")];
    // The retry lands on B while A's request is still running upstream: B waits for A.
    let first = pair.chat(&pair.a, "p/m-1", &key);
    let retry = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        pair.chat(&pair.b, "p/m-1", &key).await
    };
    let ((s1, b1), (s2, b2)) = tokio::join!(first, retry);
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(text(&b1), "the one answer");
    assert_eq!(text(&b2), "the one answer", "{b2}");
    assert_eq!(b2["replayed"], true);
    // And once it finished, a retry on B within the window is served from A's answer too.
    let (s3, b3) = pair.chat(&pair.b, "p/m-1", &key).await;
    assert_eq!((s3, text(&b3)), (200, "the one answer".to_owned()));
    assert_eq!(pair.mock.received().len(), 1, "upstream was called once");
}

#[tokio::test]
async fn redis_killed_mid_load_fails_no_request_and_sharing_resumes() {
    let mut pair = Pair::start().await;
    pair.mock.set_default(Script {
        fault: Fault {
            delay_ms: 5,
            ..Fault::default()
        },
        ..Script::default()
    });
    let stop = tokio::sync::watch::channel(false);
    let load = |gw: &TestGateway| {
        let url = gw.url.clone();
        let http = pair.http.clone();
        let mut stop = stop.1.clone();
        tokio::spawn(async move {
            let (path, body) = clients::request(Format::OpenAiChat, "p/m-1", "hi", false, false);
            let mut statuses = Vec::new();
            while !*stop.borrow_and_update() {
                let r = http
                    .post(format!("{url}{path}"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        })
    };
    let loads = [load(&pair.a), load(&pair.b), load(&pair.a), load(&pair.b)];
    tokio::time::sleep(Duration::from_millis(300)).await;
    pair.redis.stop();
    let health = pair.wait_state(&pair.a, "local").await;
    assert!(health["shared_state"]["last_error"].is_string(), "{health}");
    pair.wait_state(&pair.b, "local").await;
    let metrics = pair.metrics(&pair.a).await;
    assert!(metrics.contains("omniroute_shared_state_up 0"), "{metrics}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    pair.redis.restart();
    pair.wait_shared(&pair.a).await;
    pair.wait_shared(&pair.b).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.0.send_replace(true);
    let mut total = 0;
    for load in loads {
        let statuses = load.await.unwrap();
        total += statuses.len();
        assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    }
    println!("{total} requests through a Redis crash and restart, all 200");
    assert!(total > 20, "{total}");
    // Sharing resumed: a change through B reaches A at once again.
    let combo = json!({"name": "after", "strategy": "priority", "models": ["p/m-after"]});
    pair.send(&pair.b, reqwest::Method::POST, "/api/combos", combo)
        .await;
    pair.send(
        &pair.b,
        reqwest::Method::PUT,
        "/api/combos/active",
        json!({"name": "after"}),
    )
    .await;
    let set = Instant::now();
    loop {
        let active: Value = pair
            .http
            .get(format!("{}/api/combos/active", pair.a.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if active["name"] == "after" {
            break;
        }
        assert!(
            set.elapsed() < Duration::from_secs(1),
            "A still has {active}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let metrics = pair
        .http
        .get(format!("{}/metrics", pair.a.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("omniroute_shared_state_up 1"), "{metrics}");
}

#[tokio::test]
async fn a_session_from_one_instance_is_valid_on_the_other_until_logout() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let database = postgres.database().await;
    let redis_url = redis.url();
    let mut vars = vec![
        ("DATABASE_URL", database.as_str()),
        ("REDIS_URL", redis_url.as_str()),
        ("AUTH_REQUIRED", "true"),
        ("INITIAL_PASSWORD", "a password of the team's own"),
    ];
    vars.extend(SHARED);
    let a = TestGateway::start_with(&vars).await.unwrap();
    let b = TestGateway::start_with(&vars).await.unwrap();
    let http = reqwest::Client::new();
    let combos = |gw: &TestGateway, token: Option<&str>| {
        let mut r = http.get(format!("{}/api/combos", gw.url));
        if let Some(token) = token {
            r = r.bearer_auth(token);
        }
        r.send()
    };
    assert_eq!(combos(&b, None).await.unwrap().status(), 401);
    let session: Value = http
        .post(format!("{}/api/auth/login", a.url))
        .json(&json!({"password": "a password of the team's own"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap();
    assert_eq!(
        combos(&b, Some(token)).await.unwrap().status(),
        200,
        "B honours A's session"
    );
    // Wait until B follows the channel, then log out through A: B refuses the token too.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = http.get(format!("{}/api/health", b.url)).bearer_auth(token);
        let health: Value = r.send().await.unwrap().json().await.unwrap();
        if health["shared_state"]["state"] == "shared" {
            break;
        }
        assert!(Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = http
        .post(format!("{}/api/auth/logout", a.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let out = Instant::now();
    while combos(&b, Some(token)).await.unwrap().status() != 401 {
        assert!(
            out.elapsed() < Duration::from_secs(1),
            "B still accepts a logged-out session"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(combos(&a, Some(token)).await.unwrap().status(), 401);
}
