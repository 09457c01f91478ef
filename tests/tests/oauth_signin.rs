//! Signing in to subscription providers through the public API, as the dashboard does, against
//! a fake authorization server and the mock upstream: the browser flow (loopback redirect),
//! the paste flow, the device flow with Copilot's token exchange; then the token's life —
//! used upstream, refreshed when due and once on a 401, rotated and persisted, and on
//! `invalid_grant` the account marked `needs-sign-in` with its credentials kept.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

mod oauth_rig;

use std::time::Duration;

use oauth_rig::*;
use omniroute_e2e::mock::{Fault, Script};
use omniroute_e2e::oauth_server::{DeviceOutcome, settle};
use omniroute_e2e::{FakeAuthServer, MockUpstream, TestGateway};
use serde_json::{Value, json};

#[tokio::test]
async fn a_browser_sign_in_serves_refreshes_rotates_and_survives_a_restart() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let gw = gateway_with(&catalog(&auth, &mock, 60)).await;
    let id = sign_in_by_browser(&gw).await;

    // The account as the dashboard sees it: who, until when, ok — never a token.
    let list = get(&gw, "/api/providers").await;
    let account = connection(&list, &id);
    assert_eq!(account["authKind"], "oauth");
    assert_eq!(account["auth"]["account"], "ada@example.com");
    assert_eq!(account["auth"]["state"], "ok");
    assert!(account["auth"]["expiresAt"].as_i64().unwrap() > 0);
    assert!(account["apiKey"].is_null());
    assert!(!list.to_string().contains("at-") && !list.to_string().contains("rt-"));

    // First request: the signed-in token as a bearer, Claude's OAuth beta merged with the
    // client's.
    let (status, body) = ask_claude(&gw).await;
    assert_eq!(status, 200, "{body}");
    let first = last_token(&mock);
    assert!(first.starts_with("Bearer at-"), "{first}");
    let beta = mock
        .received()
        .last()
        .unwrap()
        .header("anthropic-beta")
        .unwrap()
        .to_owned();
    assert!(
        beta.contains("oauth-2025-04-20") && beta.contains("interleaved-thinking-2025-05-14"),
        "{beta}"
    );
    assert_eq!(auth.with(|s| s.refreshes), 0);

    // Tokens that expire within the margin are renewed before use.
    auth.with(|s| s.expires_in = 30);
    let (status, _) = post(&gw, &format!("/api/providers/{id}/refresh"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(auth.with(|s| s.refreshes), 1);
    auth.with(|s| s.expires_in = 3600);
    let (status, _) = ask_claude(&gw).await;
    assert_eq!(status, 200);
    assert_eq!(
        auth.with(|s| s.refreshes),
        2,
        "a token due to expire is refreshed first"
    );
    let renewed = last_token(&mock);
    assert_ne!(renewed, first);

    // A 401 refreshes once and the request is retried with the new token.
    mock.push(Script {
        fault: Fault {
            status: Some(401),
            ..Fault::default()
        },
        ..Script::default()
    });
    let (status, body) = ask_claude(&gw).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(auth.with(|s| s.refreshes), 3);
    let after_401 = last_token(&mock);
    assert_ne!(after_401, renewed);

    // Rotation persisted: after a restart the stored (rotated) refresh token still works —
    // the server refuses every earlier one.
    let data = gw.stop_keeping_data().await;
    let gw = TestGateway::start_in(data, &[]).await.unwrap();
    let (status, _) = post(&gw, &format!("/api/providers/{id}/refresh"), json!({})).await;
    assert_eq!(status, 200, "the rotated refresh token was stored");
    assert_eq!(auth.with(|s| s.refreshes), 4);

    // The provider revokes the grant: the next 401's refresh fails with invalid_grant, the
    // account needs a new sign-in, its credentials stay, and routing skips it.
    auth.with(|s| s.revoked = true);
    mock.push(Script {
        fault: Fault {
            status: Some(401),
            ..Fault::default()
        },
        ..Script::default()
    });
    let (status, _) = ask_claude(&gw).await;
    assert_eq!(status, 401, "the upstream's refusal reaches the client");
    let list = get(&gw, "/api/providers").await;
    let account = connection(&list, &id);
    assert_eq!(account["auth"]["state"], "needs-sign-in", "{account}");
    // The tray's provider health names it.
    let health = get(&gw, "/api/health/providers").await;
    assert_eq!(
        health[0]["needsSignIn"],
        json!(["ada@example.com"]),
        "{health}"
    );
    // (The 401 also rested the account; without that, the sign-in state is what keeps it out.)
    let (status, _) = post(&gw, "/api/resilience/reset", json!({})).await;
    assert_eq!(status, 200);
    let reached = mock.received().len();
    let (status, body) = ask_claude(&gw).await;
    assert_ne!(status, 200);
    assert!(body.to_string().contains("needs a new sign-in"), "{body}");
    assert_eq!(
        mock.received().len(),
        reached,
        "a needs-sign-in account is not tried"
    );
    let data = gw.stop_keeping_data().await;
    let secrets = sqlite_count(
        &data,
        &format!("SELECT COUNT(*) FROM secrets WHERE name = 'connection/{id}/oauth'"),
    )
    .await;
    assert_eq!(
        secrets, 1,
        "the credentials are kept for inspection or a retry"
    );
    // The tokens are in no file of the data directory in the clear.
    for token in [&first, &renewed, &after_401] {
        let bare = token.trim_start_matches("Bearer ");
        assert!(
            !grep_dir(data.path(), bare),
            "{bare} found in the data directory"
        );
    }
}

#[tokio::test]
async fn fifty_parallel_requests_on_an_expired_token_cause_one_refresh() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let gw = gateway_with(&catalog(&auth, &mock, 60)).await;
    // Signed in with a token that is already within the refresh margin.
    auth.with(|s| s.expires_in = 30);
    sign_in_by_browser(&gw).await;
    auth.with(|s| s.expires_in = 3600);
    // Subscription accounts are paced by default (6 at once); this test wants all fifty
    // waiting on the one refresh together.
    let r = http()
        .patch(format!("{}/api/resilience", gw.url))
        .json(&json!({"profiles": {"rateLimits": {"requestsPerMinute": 0, "minGapMs": 0, "maxConcurrent": 0}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    auth.with(|s| s.refresh_delay_ms = 600);
    let requests: Vec<_> = (0..50).map(|_| ask_claude(&gw)).collect();
    // While the one refresh runs, the account shows it.
    let watch = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        get(&gw, "/api/providers").await
    };
    let (answers, during) = tokio::join!(futures_util::future::join_all(requests), watch);
    assert_eq!(during[0]["auth"]["state"], "refreshing", "{during}");
    assert_eq!(get(&gw, "/api/providers").await[0]["auth"]["state"], "ok");
    let failed: Vec<_> = answers.iter().filter(|(s, _)| *s != 200).collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(auth.with(|s| s.refreshes), 1, "one refresh for all fifty");
    let tokens: std::collections::BTreeSet<String> = mock
        .received()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(tokens.len(), 1, "every request used the one renewed token");
}

#[tokio::test]
async fn wrong_state_replays_and_refusals_store_nothing() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let gw = gateway_with(&catalog(&auth, &mock, 60)).await;

    // Browser flow: a redirect with another state is refused and changes nothing.
    let (_, started) = post(&gw, "/api/oauth/cc/start", json!({"flow": "browser"})).await;
    let auth_url = started["authUrl"].as_str().unwrap().to_owned();
    let redirect_uri = reqwest::Url::parse(&auth_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let r = reqwest::get(format!("{redirect_uri}?code=forged&state=not-ours"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let flow_id = started["flowId"].as_str().unwrap();
    assert_eq!(
        get(&gw, &format!("/api/oauth/flows/{flow_id}")).await["status"],
        "pending"
    );
    // The real one connects; replaying it reaches no listener any more.
    let final_url = {
        let r = http().get(&auth_url).send().await.unwrap();
        r.headers()["location"].to_str().unwrap().to_owned()
    };
    assert_eq!(reqwest::get(&final_url).await.unwrap().status(), 200);
    assert_eq!(settle(&gw.url, flow_id).await["status"], "connected");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        reqwest::get(&final_url).await.is_err(),
        "the listener closed"
    );
    assert_eq!(auth.with(|s| s.code_exchanges), 1);

    // Paste flow: the pasted address of another sign-in is refused; the right one connects
    // once; pasting it again is refused.
    let (status, started) = post(
        &gw,
        "/api/oauth/cc/start",
        json!({"flow": "paste", "name": "work"}),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let flow_id = started["flowId"].as_str().unwrap().to_owned();
    let auth_url = started["authUrl"].as_str().unwrap();
    assert!(auth_url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcode"));
    let landed = http().get(auth_url).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let forged = landed.replace("state=", "state=x");
    let (status, body) = post(
        &gw,
        &format!("/api/oauth/flows/{flow_id}/complete"),
        json!({"callbackUrl": forged}),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("state mismatch"), "{body}");
    let url = reqwest::Url::parse(&landed).unwrap();
    let q: std::collections::BTreeMap<_, _> = url.query_pairs().into_owned().collect();
    let pasted = format!("{}#{}", q["code"], q["state"]);
    let (status, done) = post(
        &gw,
        &format!("/api/oauth/flows/{flow_id}/complete"),
        json!({"code": pasted}),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["status"], "connected");
    let (status, _) = post(
        &gw,
        &format!("/api/oauth/flows/{flow_id}/complete"),
        json!({"code": pasted}),
    )
    .await;
    assert_eq!(status, 400);
    // The same account signing in again updates its one connection.
    let accounts = get(&gw, "/api/providers").await;
    assert_eq!(accounts.as_array().unwrap().len(), 1, "{accounts}");

    // The user refuses: the flow fails with the provider's words, nothing is stored.
    auth.with(|s| s.deny = true);
    let (_, started) = post(&gw, "/api/oauth/cc/start", json!({})).await;
    let (status, page) = browse(started["authUrl"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{page}");
    let failed = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("access_denied"),
        "{failed}"
    );
    assert_eq!(
        get(&gw, "/api/providers").await.as_array().unwrap().len(),
        1
    );

    // A cancelled flow is gone; unknown providers and flows are named.
    let (_, started) = post(&gw, "/api/oauth/cc/start", json!({})).await;
    let flow_id = started["flowId"].as_str().unwrap();
    let r = http()
        .delete(format!("{}/api/oauth/flows/{flow_id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = http()
        .get(format!("{}/api/oauth/flows/{flow_id}", gw.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (status, body) = post(&gw, "/api/oauth/openai/start", json!({})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post(&gw, "/api/oauth/cc/start", json!({"flow": "device"})).await;
    assert_eq!(status, 400);
    assert!(body.to_string().contains("offers no"), "{body}");
}

#[tokio::test]
async fn a_device_sign_in_polls_through_pending_and_slow_down_then_exchanges_copilot_tokens() {
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    auth.with(|s| s.api_base = Some(mock.url()));
    let gw = gateway_with(&catalog(&auth, &mock, 60)).await;
    let (status, started) = post(&gw, "/api/oauth/gh/start", json!({})).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["kind"], "device");
    assert_eq!(started["userCode"], "WDJB-MJHT");
    assert_eq!(started["verificationUri"], "https://example.com/device");
    assert_eq!(started["interval"], 1);
    let done = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "connected", "{done}");
    // Two pending answers, one of them slow_down, then the token.
    let polls = auth.with(|s| {
        s.token_requests
            .iter()
            .filter(|f| f.get("device_code").is_some())
            .count()
    });
    assert_eq!(polls, 3);
    assert_eq!(
        auth.with(|s| s.exchanges),
        1,
        "the API token was bought at sign-in"
    );

    // Requests carry the exchanged API token, at the API base the exchange named.
    let r = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&json!({"model": "gh/gpt-5", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let seen = mock.received();
    // (The usage endpoint may be asked in the background meanwhile.)
    let last = seen
        .iter()
        .rev()
        .find(|r| r.path.ends_with("/chat/completions"))
        .unwrap();
    assert!(
        last.header("authorization")
            .unwrap()
            .starts_with("Bearer api-")
    );
    assert_eq!(last.header("editor-version"), Some("OmniRoute/1"));
    assert_eq!(last.header("x-initiator"), Some("user"));
    // Copilot's usage endpoint, asked with the GitHub token itself, reports the premium quota.
    let mut premium = Value::Null;
    for _ in 0..50 {
        let quota = get(&gw, "/api/quota").await;
        if let Some(w) = quota[0]["windows"].as_array().and_then(|ws| {
            ws.iter()
                .find(|w| w["window"] == "premium-interactions")
                .cloned()
        }) {
            premium = w;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        (premium["used"].as_f64(), premium["limit"].as_f64()),
        (Some(183.0), Some(300.0)),
        "{premium}"
    );
    let asked = mock
        .received()
        .into_iter()
        .find(|r| r.path == "/copilot_internal/user")
        .unwrap();
    assert!(
        asked
            .header("authorization")
            .unwrap()
            .starts_with("token at-")
    );
    // Claude models go to Copilot's Anthropic endpoint; a turn after tool results is the agent's.
    let r = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&json!({"model": "gh/claude-sonnet-4.5", "messages": [
            {"role": "user", "content": "list files"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                "function": {"name": "ls", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "a.txt"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let seen = mock.received();
    let last = seen.last().unwrap();
    assert_eq!(last.path, "/v1/messages");
    assert!(
        last.header("authorization")
            .unwrap()
            .starts_with("Bearer api-")
    );
    assert_eq!(last.header("x-initiator"), Some("agent"));
    // A 401 re-exchanges (GitHub tokens do not refresh).
    mock.push(Script {
        fault: Fault {
            status: Some(401),
            ..Fault::default()
        },
        ..Script::default()
    });
    let r = http()
        .post(format!("{}/v1/chat/completions", gw.url))
        .json(&json!({"model": "gh/gpt-5", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(auth.with(|s| s.exchanges), 2);

    // Denied and expired device codes fail clearly and store nothing.
    for (outcome, words) in [
        (DeviceOutcome::Deny, "refused"),
        (DeviceOutcome::Expire, "expired"),
    ] {
        auth.with(|s| s.device_outcome = outcome);
        let (_, started) = post(&gw, "/api/oauth/gh/start", json!({})).await;
        let failed = settle(&gw.url, started["flowId"].as_str().unwrap()).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert!(
            failed["error"].as_str().unwrap().contains(words),
            "{failed}"
        );
    }
    assert_eq!(
        get(&gw, "/api/providers").await.as_array().unwrap().len(),
        1
    );
}
