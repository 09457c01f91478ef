//! The dashboard's Translator: `POST /api/translator/translate` (a request or response of one
//! client format in another, through the same decoders and encoders the proxy uses) and
//! `GET /api/translator/monitor` (one server-sent event per client request as it finishes).
//!
//! The monitor itself is `crate::monitor`.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use omniroute_formats::{ClientContext, Format, FormatError, RequestHint};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AppState;
use crate::admin::json::ApiJson;
use crate::error::{ApiError, ErrorCode};

/// Comment lines keep idle connections (and proxies between) open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Request,
    Response,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranslateBody {
    pub from: String,
    pub to: String,
    /// A client request (or, with `kind: "response"`, an answer) in `from`'s format.
    pub body: Value,
    #[serde(default)]
    pub kind: Kind,
    /// The model when `from` is Gemini (which carries it in the path, not the body); for a
    /// response, the model the client asked for.
    #[serde(default)]
    pub model: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Translated {
    pub body: Value,
    /// The model of the translated request (Gemini puts it in the path, not in `body`).
    pub model: String,
}

fn format(field: &str, value: &str) -> Result<Format, ApiError> {
    Format::parse(value).ok_or_else(|| {
        ApiError::invalid(format!(
            "{field}: unknown format '{value}' (expected openai, anthropic, gemini or responses)"
        ))
    })
}

fn format_error(from: Format, e: &FormatError) -> ApiError {
    ApiError::invalid(format!(
        "body is not a valid {} request: {e}",
        from.as_str()
    ))
}

fn to_value(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::Internal,
            format!("the translation is not JSON: {e}"),
        )
    })
}

pub async fn translate(
    ApiJson(input): ApiJson<TranslateBody>,
) -> Result<Json<Translated>, ApiError> {
    let from = format("from", &input.from)?;
    let to = format("to", &input.to)?;
    if !input.body.is_object() {
        return Err(ApiError::invalid("body: must be a JSON object"));
    }
    let bytes = serde_json::to_vec(&input.body)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    let model = input
        .model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    match input.kind {
        Kind::Request => {
            if from == Format::Gemini && model.is_none() {
                return Err(ApiError::invalid(
                    "model: is required to translate a Gemini request (Gemini carries it in the \
                     path): send it as \"model\" beside \"body\"",
                ));
            }
            let hint = RequestHint {
                model,
                ..RequestHint::default()
            };
            let request = omniroute_formats::decode_request(from, &bytes, &hint)
                .map_err(|e| format_error(from, &e))?;
            let body = to_value(&omniroute_formats::encode_request(to, &request))?;
            Ok(Json(Translated {
                body,
                model: request.model,
            }))
        }
        Kind::Response => {
            let response = omniroute_formats::decode_response(from, &bytes).map_err(|e| {
                ApiError::invalid(format!(
                    "body is not a valid {} response: {e}",
                    from.as_str()
                ))
            })?;
            let ctx = ClientContext {
                model: model.map_or_else(|| response.model.clone(), str::to_owned),
                created: u64::try_from(omniroute_store::now_ms() / 1000).unwrap_or(0),
                ..ClientContext::default()
            };
            let body = to_value(&omniroute_formats::encode_response(to, &response, &ctx))?;
            Ok(Json(Translated {
                body,
                model: ctx.model,
            }))
        }
    }
}

pub async fn monitor(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(state.monitor.watch())
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
}
