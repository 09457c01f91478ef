#![allow(clippy::unwrap_used, reason = "tests")]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

fn answer(json: &str) -> TokenAnswer {
    serde_json::from_str(json).unwrap()
}

fn id_token(claims: &str) -> String {
    format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
        URL_SAFE_NO_PAD.encode(claims)
    )
}

#[test]
fn device_flow_states_read_from_200_and_400_answers_alike() {
    for status in [200, 400] {
        let pending = answer(r#"{"error":"authorization_pending"}"#).into_result(status);
        assert_eq!(pending.unwrap_err(), TokenError::Pending);
        let slow = answer(r#"{"error":"slow_down","interval":10}"#).into_result(status);
        assert_eq!(
            slow.unwrap_err(),
            TokenError::SlowDown { interval: Some(10) }
        );
    }
    let denied = answer(r#"{"error":"access_denied","error_description":"user said no"}"#);
    assert_eq!(
        denied.into_result(400).unwrap_err().to_string(),
        "the sign-in was refused: user said no"
    );
    let expired = answer(r#"{"error":"expired_token"}"#).into_result(400);
    assert_eq!(expired.unwrap_err(), TokenError::Expired);
    let grant = answer(r#"{"error":"invalid_grant","error_description":"revoked"}"#);
    assert_eq!(
        grant.into_result(400).unwrap_err(),
        TokenError::InvalidGrant(Some("revoked".into()))
    );
    // A success status without a token is no success.
    let empty = answer(r#"{"access_token":""}"#).into_result(200);
    assert!(matches!(empty, Err(TokenError::Other { status: 200, .. })));
}

#[test]
fn a_refresh_without_a_new_refresh_token_keeps_the_old_one_and_a_rotated_one_replaces_it() {
    let first = Credential::from_answer(
        &answer(r#"{"access_token":"a1","refresh_token":"r1","expires_in":3600}"#),
        None,
        1_000,
    );
    assert_eq!(first.expires_at_ms, Some(3_601_000));
    let kept = Credential::from_answer(
        &answer(r#"{"access_token":"a2","expires_in":60}"#),
        Some(&first),
        2_000,
    );
    assert_eq!(kept.access_token, "a2");
    assert_eq!(kept.refresh_token.as_deref(), Some("r1"));
    let rotated = Credential::from_answer(
        &answer(r#"{"access_token":"a3","refresh_token":"r2"}"#),
        Some(&kept),
        3_000,
    );
    assert_eq!(rotated.refresh_token.as_deref(), Some("r2"));
    assert_eq!(rotated.expires_at_ms, None);
}

#[test]
fn freshness_honours_the_margin() {
    let c = Credential {
        access_token: "a".into(),
        expires_at_ms: Some(10_000),
        ..Credential::default()
    };
    assert!(c.fresh(4_000, 5_000));
    assert!(!c.fresh(5_000, 5_000));
    assert!(
        Credential {
            expires_at_ms: None,
            ..c
        }
        .fresh(i64::MAX, 5_000)
    );
}

#[test]
fn accounts_come_from_anthropic_answers_id_tokens_and_user_info() {
    let claude = answer(
        r#"{"access_token":"sk-ant-oat01-x","account":{"uuid":"u","email_address":"ada@example.com"}}"#,
    );
    assert_eq!(
        Identity::of_answer(&claude).account.as_deref(),
        Some("ada@example.com")
    );
    let token = id_token(
        r#"{"email":"bob@example.com","https://api.openai.com/auth":{"chatgpt_account_id":"acc-1","chatgpt_plan_type":"pro"}}"#,
    );
    let codex = answer(&format!(r#"{{"access_token":"a","id_token":"{token}"}}"#));
    let id = Identity::of_answer(&codex);
    assert_eq!(id.account.as_deref(), Some("bob@example.com"));
    assert_eq!(id.account_id.as_deref(), Some("acc-1"));
    assert_eq!(id.plan.as_deref(), Some("pro"));
    assert_eq!(
        Credential::from_answer(&codex, None, 0)
            .account_id
            .as_deref(),
        Some("acc-1")
    );
    // Garbage id tokens name nobody, without failing.
    for bad in ["", "x", "a.!!!.c", "a.bm90IGpzb24.c"] {
        assert_eq!(identity_of_id_token(Some(bad)), Identity::default());
    }
    let github: UserInfo = serde_json::from_str(r#"{"login":"octocat","email":null}"#).unwrap();
    assert_eq!(github.identity().account.as_deref(), Some("octocat"));
}

#[test]
fn a_credential_never_prints_its_tokens() {
    let c = Credential {
        access_token: "secret-access".into(),
        refresh_token: Some("secret-refresh".into()),
        client: Some(RegisteredClient {
            client_id: "id".into(),
            client_secret: "secret-client".into(),
            expires_at_ms: None,
        }),
        ..Credential::default()
    };
    let shown = format!("{c:?}");
    assert!(!shown.contains("secret"), "{shown}");
}
