//! Gemini embeddings: `POST {root}/v1beta/models/{model}:batchEmbedContents` with one request
//! per input text; the answer becomes OpenAI's list. Gemini reports no token counts, so
//! `usage` is estimated from the input text (about four characters a token).

use futures_util::future::BoxFuture;
use omniroute_formats::media::embeddings::{
    Embedding, EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EmbeddingUsage,
    encode_response, encode_vector, estimate_tokens,
};
use omniroute_formats::{ErrorInfo, Format, FormatError, parse_json, to_json};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::adapter::{MediaAnswer, MediaCall, MediaProtocol};
use crate::error::UpstreamError;
use crate::http::{Prepared, Upstream};
use crate::target::Operation;

pub struct GeminiEmbeddings;

pub static ADAPTER: GeminiEmbeddings = GeminiEmbeddings;

impl MediaProtocol for GeminiEmbeddings {
    const NAME: &'static str = "gemini-embeddings";
    const OPERATION: Operation = Operation::Embeddings;

    fn error_of(&self, status: u16, body: &[u8]) -> ErrorInfo {
        omniroute_formats::decode_error(Format::Gemini, status, body)
    }

    fn exchange<'a>(
        &'a self,
        upstream: Upstream<'a>,
        call: &'a MediaCall,
    ) -> BoxFuture<'a, Result<MediaAnswer, UpstreamError>> {
        Box::pin(async move {
            let MediaCall::Embeddings { request, .. } = call else {
                return Err(super::unsupported(upstream.target, call));
            };
            let target = upstream.target;
            if let Some(reason) = crate::model_unsendable(Format::Gemini, &target.upstream_model) {
                return Err(UpstreamError::Request(FormatError::field("model", reason)));
            }
            let body =
                to_gemini(request, &target.upstream_model).map_err(UpstreamError::Request)?;
            let url = format!(
                "{}/v1beta/models/{}:batchEmbedContents",
                super::root(&target.base_url, &["/v1beta", "/v1"]),
                target.upstream_model.trim_start_matches("models/")
            );
            let prepared = Prepared::new(target, Method::POST, url)
                .header("content-type", "application/json")
                .body(to_json(&body));
            let bytes = upstream.fetch(prepared).await?;
            let answer = from_gemini(&bytes, request, &target.routed_model())
                .map_err(|e| UpstreamError::invalid_answer(&target.provider, &e))?;
            let tokens = answer.usage.prompt_tokens;
            Ok(MediaAnswer {
                content_type: "application/json".into(),
                body: encode_response(&answer).into(),
                usage: Some(omniroute_formats::ir::Usage {
                    input_tokens: tokens,
                    ..Default::default()
                }),
            })
        })
    }
}

/// `POST /v1beta/models/{model}:batchEmbedContents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchEmbedRequest {
    pub requests: Vec<EmbedContentRequest>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbedContentRequest {
    /// `models/{model}`: must match the model in the URL.
    pub model: String,
    pub content: EmbedContent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_dimensionality: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedContent {
    pub parts: Vec<EmbedPart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbedPart {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchEmbedResponse {
    #[serde(default)]
    pub embeddings: Vec<ContentEmbedding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentEmbedding {
    #[serde(default)]
    pub values: Vec<f32>,
}

/// The input as texts; token arrays cannot be embedded by an upstream that takes only text.
fn texts(input: Option<&EmbeddingInput>) -> Result<Vec<String>, FormatError> {
    match input {
        Some(EmbeddingInput::Text(t)) => Ok(vec![t.clone()]),
        Some(EmbeddingInput::Texts(t)) => Ok(t.clone()),
        Some(EmbeddingInput::Tokens(_) | EmbeddingInput::TokenLists(_)) => Err(FormatError::field(
            "input",
            "token arrays are not supported by this provider's embeddings API; send text",
        )),
        None => Err(FormatError::field("input", "is required")),
    }
}

/// The Gemini `batchEmbedContents` body for `request`, one entry per input text.
pub fn to_gemini(
    request: &EmbeddingRequest,
    upstream_model: &str,
) -> Result<BatchEmbedRequest, FormatError> {
    let model = format!("models/{}", upstream_model.trim_start_matches("models/"));
    Ok(BatchEmbedRequest {
        requests: texts(request.input.as_ref())?
            .into_iter()
            .map(|text| EmbedContentRequest {
                model: model.clone(),
                content: EmbedContent {
                    parts: vec![EmbedPart { text }],
                },
                output_dimensionality: request.dimensions,
            })
            .collect(),
    })
}

/// Gemini's answer as OpenAI's, for the client that sent `request` naming `client_model`.
pub fn from_gemini(
    body: &[u8],
    request: &EmbeddingRequest,
    client_model: &str,
) -> Result<EmbeddingResponse, FormatError> {
    let response: BatchEmbedResponse = parse_json(body)?;
    let encoding = request.encoding_format.unwrap_or_default();
    let tokens = estimate_tokens(request.input.as_ref());
    Ok(EmbeddingResponse {
        object: "list".into(),
        data: response
            .embeddings
            .into_iter()
            .enumerate()
            .map(|(index, e)| Embedding {
                object: "embedding".into(),
                index,
                embedding: encode_vector(e.values, encoding),
            })
            .collect(),
        model: client_model.to_owned(),
        usage: EmbeddingUsage {
            prompt_tokens: tokens,
            total_tokens: tokens,
        },
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn request(body: Value) -> EmbeddingRequest {
        omniroute_formats::media::embeddings::decode_request(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn gemini_request_has_one_entry_per_text_with_dimensions() {
        let r = request(
            json!({"model": "gemini/gemini-embedding-001", "input": ["a", "b"], "dimensions": 256}),
        );
        let body = serde_json::to_value(to_gemini(&r, "gemini-embedding-001").unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"requests": [
                {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}, "outputDimensionality": 256},
                {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]}, "outputDimensionality": 256}
            ]})
        );
        let single = request(json!({"model": "m", "input": "only"}));
        let body = serde_json::to_value(to_gemini(&single, "models/x").unwrap()).unwrap();
        assert_eq!(body["requests"][0]["model"], "models/x");
        assert!(body["requests"][0].get("outputDimensionality").is_none());
    }

    #[test]
    fn gemini_rejects_token_input() {
        let r = request(json!({"model": "m", "input": [1, 2]}));
        let e = to_gemini(&r, "x").unwrap_err();
        assert!(e.to_string().contains("token arrays"), "{e}");
    }

    #[test]
    fn gemini_answer_becomes_openai_list_with_estimated_usage() {
        let r = request(json!({"model": "gemini/e", "input": ["abcd", "abcdefgh"]}));
        let body = br#"{"embeddings": [{"values": [0.5, -1.0]}, {"values": [0.25]}]}"#;
        let out: Value = serde_json::from_slice(&encode_response(
            &from_gemini(body, &r, "gemini/e").unwrap(),
        ))
        .unwrap();
        assert_eq!(
            out,
            json!({"object": "list", "model": "gemini/e",
                "data": [
                    {"object": "embedding", "index": 0, "embedding": [0.5, -1.0]},
                    {"object": "embedding", "index": 1, "embedding": [0.25]}
                ],
                "usage": {"prompt_tokens": 3, "total_tokens": 3}})
        );
    }
}
