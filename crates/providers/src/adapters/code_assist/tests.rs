use omniroute_formats::Format;
use omniroute_formats::ir::{Message, Part, Request, Role};
use serde_json::{Value, json};

use super::onboarding::{FREE_TIER, LEGACY_TIER};
use super::*;

#[test]
fn urls() {
    for base in [
        "https://cloudcode-pa.googleapis.com",
        "https://cloudcode-pa.googleapis.com/",
        "https://cloudcode-pa.googleapis.com/v1internal",
        "https://cloudcode-pa.googleapis.com/v1internal/",
    ] {
        assert_eq!(
            generate_url(base, false),
            "https://cloudcode-pa.googleapis.com/v1internal:generateContent"
        );
        assert_eq!(
            generate_url(base, true),
            "https://cloudcode-pa.googleapis.com/v1internal:streamGenerateContent?alt=sse"
        );
        assert_eq!(
            method_url(base, "loadCodeAssist"),
            "https://cloudcode-pa.googleapis.com/v1internal:loadCodeAssist"
        );
        assert_eq!(
            operation_url(base, "operations/abc"),
            "https://cloudcode-pa.googleapis.com/v1internal/operations/abc"
        );
    }
    assert_eq!(
        method_url(DEFAULT_BASE, "retrieveUserQuota"),
        format!("{DEFAULT_BASE}/v1internal:retrieveUserQuota")
    );
}

#[test]
fn wrap_keeps_the_gemini_body_byte_for_byte() {
    // Odd spacing, key order and escapes survive untouched.
    let inner = r#"{ "contents" : [{"role":"user","parts":[{"text":"caf\u00e9 \"q\""}]}],  "generationConfig":{"temperature":0.70} }"#;
    let body = wrap_request(inner.as_bytes(), "gemini-2.5-pro", "my-proj-123").unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    assert_eq!(
        text,
        format!(r#"{{"model":"gemini-2.5-pro","project":"my-proj-123","request":{inner}}}"#)
    );
    let value: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(value["request"]["generationConfig"]["temperature"], 0.70);
}

#[test]
fn wrap_an_encoded_gemini_request() {
    let request = Request {
        model: "gemini-2.5-flash".into(),
        messages: vec![Message {
            role: Role::User,
            parts: vec![Part::Text("Hi".into())],
        }],
        ..Request::default()
    };
    let gemini = omniroute_formats::encode_request(Format::Gemini, &request);
    let body = wrap_request(&gemini, "gemini-2.5-flash", "p").unwrap();
    let value: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        value["request"],
        serde_json::from_slice::<Value>(&gemini).unwrap()
    );
    assert_eq!(value["model"], "gemini-2.5-flash");
    assert_eq!(value["project"], "p");
}

#[test]
fn wrap_refuses_what_is_not_json() {
    assert!(wrap_request(b"{\"contents\":", "m", "p").is_err());
    assert!(wrap_request(b"{} trailing", "m", "p").is_err());
    assert!(wrap_request(b"", "m", "p").is_err());
}

#[test]
fn unwrap_answers() {
    let inner = r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hello"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1},"modelVersion":"gemini-2.5-pro"}"#;
    let body = format!(r#"{{"response": {inner}, "traceId": "abc123"}}"#);
    assert_eq!(unwrap_response(body.as_bytes()).unwrap(), inner.as_bytes());
    let parsed = omniroute_formats::decode_response(
        Format::Gemini,
        &unwrap_response(body.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(parsed.usage.input_tokens, 3);

    // An error envelope has no `response`: it passes through for Gemini's error decoder.
    let error =
        br#"{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}"#;
    assert_eq!(unwrap_response(error).unwrap(), error.to_vec());
    assert!(unwrap_response(b"not json").is_err());
}

#[test]
fn unwrap_stream_events() {
    let data = r#"{"response": {"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]}}]}, "traceId": "t"}"#;
    assert_eq!(
        unwrap_sse_data(data).unwrap(),
        r#"{"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]}}]}"#
    );
    assert_eq!(unwrap_sse_data("[DONE]").unwrap(), "[DONE]");
    assert_eq!(unwrap_sse_data("").unwrap(), "");
    assert_eq!(
        unwrap_sse_data(r#"{"traceId":"t"}"#).unwrap(),
        r#"{"traceId":"t"}"#
    );
    assert!(unwrap_sse_data("{oops").is_err());
}

fn load(value: Value) -> LoadCodeAssistResponse {
    serde_json::from_value(value).unwrap()
}

#[test]
fn onboarded_accounts_are_ready() {
    let free = load(json!({
        "currentTier": {"id": "free-tier", "name": "Gemini Code Assist for individuals",
                        "userDefinedCloudaicompanionProject": false,
                        "privacyNotice": {"showNotice": false}},
        "allowedTiers": [{"id": "free-tier", "isDefault": true}],
        "cloudaicompanionProject": "glowing-bloom-12345",
        "gcpManaged": false
    }));
    assert_eq!(
        next_onboarding_step(&free, None),
        OnboardingStep::Ready {
            project: "glowing-bloom-12345".into(),
            tier_id: FREE_TIER.into()
        }
    );
    // The project may come as an object, and the paid tier names the tier.
    let paid = load(json!({
        "currentTier": {"id": "standard-tier"},
        "paidTier": {"id": "g1-pro-tier", "name": "Gemini Code Assist Standard"},
        "cloudaicompanionProject": {"id": "corp-proj", "name": "projects/corp-proj"}
    }));
    assert_eq!(
        next_onboarding_step(&paid, Some("ignored")),
        OnboardingStep::Ready {
            project: "corp-proj".into(),
            tier_id: "g1-pro-tier".into()
        }
    );
    // A Standard licence without an assigned project runs on the user's.
    let standard = load(
        json!({"currentTier": {"id": "standard-tier", "userDefinedCloudaicompanionProject": true}}),
    );
    assert_eq!(
        next_onboarding_step(&standard, Some(" my-proj ")),
        OnboardingStep::Ready {
            project: "my-proj".into(),
            tier_id: "standard-tier".into()
        }
    );
    let OnboardingStep::NeedsProject { reason } = next_onboarding_step(&standard, None) else {
        panic!()
    };
    assert!(reason.contains("Google Cloud project"));
}

#[test]
fn new_accounts_are_onboarded() {
    let free = load(json!({
        "allowedTiers": [
            {"id": "free-tier", "isDefault": true, "userDefinedCloudaicompanionProject": false},
            {"id": "standard-tier", "userDefinedCloudaicompanionProject": true}
        ]
    }));
    // The free tier never names a project, even when the user has one.
    let step = next_onboarding_step(&free, Some("mine"));
    assert_eq!(
        step,
        OnboardingStep::Onboard {
            tier_id: FREE_TIER.into(),
            project: None
        }
    );
    let standard = load(json!({
        "allowedTiers": [{"id": "standard-tier", "isDefault": true, "userDefinedCloudaicompanionProject": true}],
        "ineligibleTiers": [{"reasonCode": "INELIGIBLE_ACCOUNT",
                             "reasonMessage": "Your account is not eligible for the free tier",
                             "tierId": "free-tier", "tierName": "Gemini Code Assist for individuals"}]
    }));
    assert_eq!(
        next_onboarding_step(&standard, Some("corp")),
        OnboardingStep::Onboard {
            tier_id: "standard-tier".into(),
            project: Some("corp".into())
        }
    );
    assert_eq!(
        next_onboarding_step(&standard, None),
        OnboardingStep::NeedsProject {
            reason: "Your account is not eligible for the free tier".into()
        }
    );
    // No default tier: the legacy tier, on the user's project.
    assert_eq!(
        next_onboarding_step(&load(json!({})), Some("p")),
        OnboardingStep::Onboard {
            tier_id: LEGACY_TIER.into(),
            project: Some("p".into())
        }
    );
    // A paid tier whose project the server manages needs none from the user.
    let managed = load(
        json!({"allowedTiers": [{"id": "enterprise-tier", "isDefault": true, "userDefinedCloudaicompanionProject": false}]}),
    );
    assert_eq!(
        next_onboarding_step(&managed, None),
        OnboardingStep::Onboard {
            tier_id: "enterprise-tier".into(),
            project: None
        }
    );
}

#[test]
fn validation_required() {
    let load = load(json!({
        "ineligibleTiers": [{"reasonCode": "VALIDATION_REQUIRED", "reasonMessage": "Verify your account",
                             "tierId": "free-tier", "validationUrl": "https://accounts.google.com/verify"}]
    }));
    assert_eq!(
        next_onboarding_step(&load, None),
        OnboardingStep::NeedsValidation {
            url: "https://accounts.google.com/verify".into(),
            reason: "Verify your account".into()
        }
    );
}

#[test]
fn onboarding_requests_and_operations() {
    assert_eq!(
        serde_json::to_value(LoadCodeAssistRequest::new(None)).unwrap(),
        json!({"metadata": {"ideType": "IDE_UNSPECIFIED", "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}})
    );
    assert_eq!(
        serde_json::to_value(LoadCodeAssistRequest::new(Some("p"))).unwrap(),
        json!({"cloudaicompanionProject": "p", "metadata": {"ideType": "IDE_UNSPECIFIED",
               "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI", "duetProject": "p"}})
    );
    assert_eq!(
        serde_json::to_value(OnboardUserRequest::new(FREE_TIER, Some("p"))).unwrap(),
        json!({"tierId": "free-tier", "metadata": {"ideType": "IDE_UNSPECIFIED",
               "platform": "PLATFORM_UNSPECIFIED", "pluginType": "GEMINI"}})
    );
    assert_eq!(
        serde_json::to_value(OnboardUserRequest::new("standard-tier", Some("p"))).unwrap()["cloudaicompanionProject"],
        "p"
    );

    let pending: Operation =
        serde_json::from_value(json!({"name": "operations/onboard-123"})).unwrap();
    assert!(!pending.done);
    assert_eq!(pending.project(), None);
    let done: Operation = serde_json::from_value(json!({
        "name": "operations/onboard-123", "done": true,
        "response": {"@type": "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse",
                     "cloudaicompanionProject": {"id": "fresh-proj-42", "name": "fresh"}}
    }))
    .unwrap();
    assert_eq!(done.project(), Some("fresh-proj-42"));
    let empty: Operation = serde_json::from_value(
        json!({"done": true, "response": {"cloudaicompanionProject": {"id": ""}}}),
    )
    .unwrap();
    assert_eq!(empty.project(), None);
}

#[test]
fn quota_buckets() {
    assert_eq!(
        serde_json::to_value(RetrieveUserQuotaRequest {
            project: "p".into()
        })
        .unwrap(),
        json!({"project": "p"})
    );
    let body = json!({"buckets": [
        {"remainingFraction": 0.75, "resetTime": "2026-03-02T10:00:00Z", "tokenType": "REQUESTS", "modelId": "gemini-2.5-pro"},
        {"resetTime": "2026-03-02T10:00:00Z", "tokenType": "REQUESTS", "modelId": "gemini-2.5-flash"},
        {"remainingAmount": "12", "modelId": "gemini-2.5-flash-lite"},
        {"remainingFraction": 1.5, "modelId": "gemini-3-pro-preview"},
        {"remainingFraction": 0.5}
    ]});
    let buckets = decode_quota(body.to_string().as_bytes()).unwrap();
    assert_eq!(
        buckets,
        vec![
            QuotaBucket {
                model_id: "gemini-2.5-pro".into(),
                token_type: Some("REQUESTS".into()),
                remaining_fraction: 0.75,
                remaining_amount: None,
                reset_time: Some("2026-03-02T10:00:00Z".into()),
            },
            QuotaBucket {
                model_id: "gemini-2.5-flash".into(),
                token_type: Some("REQUESTS".into()),
                remaining_fraction: 0.0,
                remaining_amount: None,
                reset_time: Some("2026-03-02T10:00:00Z".into()),
            },
            QuotaBucket {
                model_id: "gemini-2.5-flash-lite".into(),
                token_type: None,
                remaining_fraction: 1.0,
                remaining_amount: Some(12),
                reset_time: None,
            },
            QuotaBucket {
                model_id: "gemini-3-pro-preview".into(),
                token_type: None,
                remaining_fraction: 1.0,
                remaining_amount: None,
                reset_time: None,
            },
        ]
    );
    assert_eq!(decode_quota(b"{}").unwrap(), vec![]);
    assert!(decode_quota(b"{\"buckets\": 3}").is_err());
}
