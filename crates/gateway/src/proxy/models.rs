//! Model lists: `GET /v1/models` (OpenAI shape) and `GET /v1beta/models` (Gemini shape), listing
//! every `prefix/model` routable through an enabled connection.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ProxyError;
use crate::AppState;

struct Listed {
    id: String,
    owned_by: String,
    context: Option<u64>,
}

async fn routable(state: &AppState) -> Result<Vec<Listed>, ProxyError> {
    let snapshot = state.registry.snapshot();
    let mut out = Vec::new();
    for provider in &state.catalog.providers {
        if snapshot.connections_of(&provider.id).next().is_none() {
            continue;
        }
        for model in &provider.models {
            out.push(Listed {
                id: format!("{}/{}", provider.id, model.id),
                owned_by: provider.id.clone(),
                context: model.context,
            });
        }
    }
    for model in state.store.custom_models(None).await? {
        if snapshot.connections_of(&model.provider).next().is_some() {
            out.push(Listed {
                id: format!("{}/{}", model.provider, model.model_id),
                owned_by: model.provider,
                context: None,
            });
        }
    }
    // Exact aliases are routable ids too (wildcards are patterns, not ids).
    for alias in &snapshot.aliases {
        if !alias.pattern.contains(['*', '?']) {
            out.push(Listed {
                id: alias.pattern.clone(),
                owned_by: "alias".into(),
                context: None,
            });
        }
    }
    Ok(out)
}

#[derive(Serialize)]
struct OpenAiModel {
    id: String,
    object: &'static str,
    created: u64,
    owned_by: String,
}

#[derive(Serialize)]
struct OpenAiList {
    object: &'static str,
    data: Vec<OpenAiModel>,
}

pub async fn openai_models(State(state): State<AppState>) -> Response {
    match routable(&state).await {
        Ok(models) => Json(OpenAiList {
            object: "list",
            data: models
                .into_iter()
                .map(|m| OpenAiModel {
                    id: m.id,
                    object: "model",
                    created: 0,
                    owned_by: m.owned_by,
                })
                .collect(),
        })
        .into_response(),
        Err(e) => e.into_response_for(omniroute_formats::Format::OpenAiChat),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GeminiModel {
    name: String,
    display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_token_limit: Option<u64>,
    supported_generation_methods: [&'static str; 3],
}

#[derive(Serialize)]
struct GeminiList {
    models: Vec<GeminiModel>,
}

pub async fn gemini_models(State(state): State<AppState>) -> Response {
    match routable(&state).await {
        Ok(models) => Json(GeminiList {
            models: models
                .into_iter()
                .map(|m| GeminiModel {
                    name: format!("models/{}", m.id),
                    display_name: m.id,
                    input_token_limit: m.context,
                    supported_generation_methods: [
                        "generateContent",
                        "streamGenerateContent",
                        "countTokens",
                    ],
                })
                .collect(),
        })
        .into_response(),
        Err(e) => e.into_response_for(omniroute_formats::Format::Gemini),
    }
}
