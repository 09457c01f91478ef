//! Management of models: aliases change routing at once, custom models appear in the catalogs,
//! connection and node edits apply without restart, and keys never come back in clear.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use omniroute_e2e::{MockUpstream, TestGateway};
use serde_json::{Value, json};

async fn call(http: &reqwest::Client, req: reqwest::RequestBuilder) -> (u16, Value) {
    let _ = http;
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn aliases_custom_models_and_live_edits() {
    let gw = TestGateway::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    let h = reqwest::Client::new();
    let api = |p: &str| format!("{}{p}", gw.url);
    let key = "sk-live-verysecret-abcd1234";

    let (s, conn) = call(
        &h,
        h.post(api("/api/providers")).json(
            &json!({"provider": "openai", "apiKey": key, "baseUrl": format!("{}/v1", mock.url())}),
        ),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(conn["apiKey"], "sk-…1234");
    let id = conn["id"].as_str().unwrap().to_owned();

    // Exact and wildcard aliases, most specific wins; they route at once.
    for (pattern, target) in [
        ("gpt-*", "openai/gpt-4o-mini"),
        ("gpt-4*", "openai/gpt-4.1"),
        ("fast", "openai/gpt-4o"),
    ] {
        let (s, _) = call(
            &h,
            h.put(api("/api/models/alias"))
                .json(&json!({"pattern": pattern, "target": target})),
        )
        .await;
        assert_eq!(s, 200);
    }
    for (asked, routed) in [
        ("gpt-4-turbo", "gpt-4.1"),
        ("gpt-5", "gpt-4o-mini"),
        ("fast", "gpt-4o"),
    ] {
        let (s, _) = call(
            &h,
            h.post(api("/v1/chat/completions"))
                .json(&json!({"model": asked, "messages": [{"role": "user", "content": "x"}]})),
        )
        .await;
        assert_eq!(s, 200, "{asked}");
        assert_eq!(
            mock.received().pop().unwrap().body["model"],
            routed,
            "{asked}"
        );
    }
    let (_, aliases) = call(&h, h.get(api("/api/models/alias"))).await;
    assert_eq!(aliases.as_array().unwrap().len(), 3);
    let (s, _) = call(&h, h.delete(api("/api/models/alias?pattern=fast"))).await;
    assert_eq!(s, 204);
    let (s, err) = call(
        &h,
        h.post(api("/v1/chat/completions"))
            .json(&json!({"model": "fast", "messages": [{"role": "user", "content": "x"}]})),
    )
    .await;
    assert_eq!(s, 404, "{err}");

    // Custom models, exactly as the guide's curl examples.
    let (s, _) = call(&h, h.post(api("/api/provider-models")).json(&json!({"provider": "openai", "modelId": "gpt-4.5-preview", "modelName": "GPT-4.5 Preview"}))).await;
    assert_eq!(s, 201);
    let (s, _) = call(
        &h,
        h.post(api("/v1/providers/openai/chat/completions")).json(
            &json!({"model": "gpt-4.5-preview", "messages": [{"role": "user", "content": "x"}]}),
        ),
    )
    .await;
    assert_eq!(s, 200, "a custom model is served by the dedicated route");
    let (_, listed) = call(&h, h.get(api("/api/provider-models?provider=openai"))).await;
    assert_eq!(listed[0]["modelName"], "GPT-4.5 Preview");
    let (_, models) = call(&h, h.get(api("/v1/models"))).await;
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"openai/gpt-4.5-preview") && ids.contains(&"openai/gpt-4o"),
        "{ids:?}"
    );
    let (_, catalog) = call(&h, h.get(api("/api/models/catalog"))).await;
    let openai = catalog
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["provider"] == "openai")
        .unwrap();
    assert_eq!(openai["connected"], true);
    let kinds: Vec<&str> = openai["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"chat") && kinds.contains(&"embedding") && kinds.contains(&"image"));
    assert!(
        openai["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "openai/gpt-4.5-preview" && m["custom"] == true)
    );
    let (s, _) = call(
        &h,
        h.delete(api(
            "/api/provider-models?provider=openai&model=gpt-4.5-preview",
        )),
    )
    .await;
    assert_eq!(s, 204);

    // Dedicated provider route: prefix added when missing, others' models and unlisted ones refused.
    let dedicated = api("/v1/providers/openai/chat/completions");
    let ask = |model: &str| json!({"model": model, "messages": [{"role": "user", "content": "x"}]});
    let (s, _) = call(&h, h.post(&dedicated).json(&ask("gpt-4o"))).await;
    assert_eq!(s, 200);
    assert_eq!(mock.received().pop().unwrap().body["model"], "gpt-4o");
    let (s, _) = call(&h, h.post(&dedicated).json(&ask("openai/gpt-4o-mini"))).await;
    assert_eq!(s, 200);
    let (s, err) = call(
        &h,
        h.post(&dedicated).json(&ask("anthropic/claude-opus-4-6")),
    )
    .await;
    assert_eq!(s, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("belongs to provider 'anthropic'"),
        "{err}"
    );
    let (s, err) = call(&h, h.post(&dedicated).json(&ask("gpt-9-imaginary"))).await;
    assert_eq!(s, 400, "{err}");
    let (s, _) = call(&h, h.post(&dedicated).json(&ask("text-embedding-3-small"))).await;
    assert_eq!(s, 400, "an embedding model is not a chat model");
    let (s, _) = call(
        &h,
        h.post(api("/v1/providers/nowhere/chat/completions"))
            .json(&ask("m")),
    )
    .await;
    assert_eq!(s, 404);

    // The connection test sends a real minimal request.
    let (s, probe) = call(&h, h.post(api(&format!("/api/providers/{id}/test")))).await;
    assert_eq!(s, 200);
    assert_eq!(probe["ok"], true, "{probe}");
    let sent = mock.received().pop().unwrap();
    assert_eq!(sent.body["max_tokens"], 1);
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
    mock.push(omniroute_e2e::mock::Script {
        fault: omniroute_e2e::mock::Fault {
            status: Some(401),
            error_message: Some("bad key".into()),
            ..Default::default()
        },
        ..Default::default()
    });
    let (_, probe) = call(&h, h.post(api(&format!("/api/providers/{id}/test")))).await;
    assert_eq!(
        (probe["ok"].clone(), probe["status"].clone()),
        (json!(false), json!(401))
    );
    assert!(probe["error"].as_str().unwrap().contains("bad key"));

    // Edits apply without restart: disabling the only connection makes the model unroutable.
    let (s, updated) = call(
        &h,
        h.put(api(&format!("/api/providers/{id}")))
            .json(&json!({"enabled": false, "name": "paused"})),
    )
    .await;
    assert_eq!(
        (s, updated["enabled"].clone(), updated["name"].clone()),
        (200, json!(false), json!("paused"))
    );
    let (s, _) = call(
        &h,
        h.post(api("/v1/chat/completions")).json(
            &json!({"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "x"}]}),
        ),
    )
    .await;
    assert_eq!(s, 404);

    // A node's base URL can move; its prefix stays.
    let (_, node) = call(&h, h.post(api("/api/provider-nodes")).json(&json!({"name": "n", "prefix": "n1", "apiType": "openai", "baseUrl": "http://127.0.0.1:9/v1"}))).await;
    let (s, moved) = call(
        &h,
        h.put(api(&format!(
            "/api/provider-nodes/{}",
            node["id"].as_str().unwrap()
        )))
        .json(&json!({"baseUrl": format!("{}/v1", mock.url())})),
    )
    .await;
    assert_eq!((s, moved["prefix"].clone()), (200, json!("n1")));
    let (s, _) = call(
        &h,
        h.post(api("/api/providers"))
            .json(&json!({"provider": "n1"})),
    )
    .await;
    assert_eq!(s, 201);
    let (s, _) = call(
        &h,
        h.post(api("/v1/chat/completions"))
            .json(&json!({"model": "n1/local", "messages": [{"role": "user", "content": "x"}]})),
    )
    .await;
    assert_eq!(s, 200);

    // The key never comes back in clear, and is not in the database file in clear.
    for path in [
        "/api/providers",
        &format!("/api/providers/{id}"),
        "/api/providers/catalog",
        "/api/models/catalog",
    ] {
        let text = h.get(api(path)).send().await.unwrap().text().await.unwrap();
        assert!(!text.contains(key), "{path} leaks the key");
    }
    for path in omniroute_e2e::files_under(gw.data_dir.path()) {
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(key),
            "{} holds the key in clear",
            path.display()
        );
    }
    gw.shutdown().await;
}
