//! The routing tests' rig: a gateway with a short upstream timeout in front of one mock, provider
//! nodes p1 (OpenAI), p2 (Anthropic), p3 (OpenAI, two accounts) and `dead` (nothing listening),
//! fast resilience profiles, and the combos the tests use.

use omniroute_e2e::clients;
use omniroute_e2e::mock::{Fault, Format, Script};
use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

pub struct Rig {
    pub gw: TestGateway,
    pub mock: MockUpstream,
    pub http: reqwest::Client,
}

impl Rig {
    pub async fn new() -> Self {
        // A short upstream timeout, so the timeout fault is quick to show.
        let gw = TestGateway::start_with(&[("UPSTREAM_TIMEOUT", "1")])
            .await
            .unwrap();
        let mock = MockUpstream::start().await.unwrap();
        let http = reqwest::Client::new();
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        for (prefix, api, base) in [
            ("p1", "openai", format!("{}/v1", mock.url())),
            ("p2", "anthropic", mock.url()),
            ("p3", "openai", format!("{}/v1", mock.url())),
            ("dead", "openai", format!("http://127.0.0.1:{dead}/v1")),
        ] {
            gw.add_node(prefix, api, &base).await;
            for n in 0..if prefix == "p3" { 2 } else { 1 } {
                gw.add_connection(prefix, &format!("{prefix}-acct{n}"), "k-0123456789abc")
                    .await;
            }
        }
        let profiles = json!({"profiles": {"apiKey": {"failureThreshold": 2, "cooldownMs": 1500}, "backoff": {"baseMs": 300, "maxMs": 2000}}});
        let r = http
            .patch(format!("{}/api/resilience", gw.url))
            .json(&profiles)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        for (name, strategy, models) in [
            ("team", "priority", json!(["p1/m-1", "p2/m-2"])),
            ("with-dead", "priority", json!(["dead/m-0", "p2/m-2"])),
            (
                "doomed",
                "priority",
                json!(["p1/m-1", "p2/m-2", "dead/m-0"]),
            ),
            ("rotate", "round-robin", json!(["p1/m-1", "p2/m-2"])),
        ] {
            let combo = json!({"name": name, "strategy": strategy, "models": models});
            let r = http
                .post(format!("{}/api/combos", gw.url))
                .json(&combo)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        }
        Self { gw, mock, http }
    }

    pub async fn reset(&self) {
        self.mock.reset();
        assert_eq!(
            self.http
                .post(format!("{}/api/resilience/reset", self.gw.url))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }

    pub fn fail(&self, model: &str, fault: Fault) {
        self.mock.push(Script {
            model: Some(model.into()),
            fault,
            ..Script::default()
        });
    }

    /// Status, route header and body text of a chat request for `model`.
    pub async fn chat(&self, model: &str, stream: bool) -> (u16, String, String) {
        let (path, body) = clients::request(Format::OpenAiChat, model, "hi", stream, false);
        let r = self
            .http
            .post(format!("{}{path}", self.gw.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let route = r
            .headers()
            .get("x-omniroute-route")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, route, r.text().await.unwrap())
    }

    pub async fn resilience(&self) -> Value {
        self.http
            .get(format!("{}/api/resilience", self.gw.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}
