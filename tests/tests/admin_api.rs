//! The management API's contract for bad input: every mistake is a JSON error naming the
//! problem, and nothing stored changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::TestGateway;
use serde_json::{Value, json};

async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn settings_reject_bad_input_without_changing_anything() {
    let gw = TestGateway::start().await.unwrap();
    let c = reqwest::Client::new();
    let url = format!("{}/api/settings", gw.url);
    let (_, before) = send(c.get(&url)).await;

    let cases: Vec<(reqwest::RequestBuilder, u16, &str, &str)> = vec![
        (
            c.patch(&url)
                .header("content-type", "application/json")
                .body("{\"ai\": "),
            400,
            "invalid_request",
            "malformed JSON",
        ),
        (
            c.patch(&url).body("{\"ai\": 3}"),
            400,
            "invalid_request",
            "ai: invalid type",
        ),
        (
            c.patch(&url).json(&json!({"colors": {}})),
            400,
            "invalid_request",
            "unknown settings section 'colors'",
        ),
        (
            c.patch(&url).json(&json!({"ai": {"temperature": 1}})),
            400,
            "invalid_request",
            "ai: unknown field `temperature`",
        ),
        (
            c.patch(&url)
                .json(&json!({"routing": {"stickyLimit": "three"}})),
            400,
            "invalid_request",
            "routing: invalid type",
        ),
        (
            c.patch(&url).json(&json!({"routing": {"stickyLimit": 0}})),
            400,
            "invalid_request",
            "stickyLimit must be at least 1",
        ),
        (
            c.patch(&url).json(&json!([1, 2])),
            400,
            "invalid_request",
            "invalid body",
        ),
        (
            c.delete(&url),
            405,
            "method_not_allowed",
            "DELETE is not allowed on /api/settings",
        ),
        (
            c.get(format!("{}/api/nothing-here", gw.url)),
            404,
            "not_found",
            "no route for /api/nothing-here",
        ),
    ];
    for (req, status, code, needle) in cases {
        let (got_status, body) = send(req).await;
        assert_eq!(got_status, status, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(needle),
            "{message:?} should contain {needle:?}"
        );
    }
    let (_, after) = send(c.get(&url)).await;
    assert_eq!(before, after);

    // The guide's `curl -d` examples send no JSON content type; the body is JSON anyway.
    let (status, _) = send(
        c.patch(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("{}"),
    )
    .await;
    assert_eq!(status, 200);

    // A valid patch changes only what it names.
    let (status, patched) = send(
        c.patch(&url)
            .json(&json!({"security": {"ipDeny": ["10.0.0.0/8"]}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(patched["security"]["ipDeny"], json!(["10.0.0.0/8"]));
    assert_eq!(patched["routing"], before["routing"]);
    gw.shutdown().await;
}

/// The headless gateway has no updater: the state says so, and asking it to check or install is
/// a 404 that tells the user how to update instead.
#[tokio::test]
async fn the_headless_gateway_does_not_update_itself() {
    let gw = TestGateway::start().await.unwrap();
    let c = reqwest::Client::new();
    let (status, state) = send(c.get(format!("{}/api/system/update", gw.url))).await;
    assert_eq!((status, state), (200, json!({"state": "unsupported"})));
    for path in ["check", "install"] {
        let (status, body) = send(c.post(format!("{}/api/system/update/{path}", gw.url))).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "not_found");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("package manager"),
            "{body}"
        );
    }
}
