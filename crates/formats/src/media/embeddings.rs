//! Embeddings: OpenAI's `POST /v1/embeddings` (what clients send and what they get back) and
//! Gemini's `models/{model}:batchEmbedContents`, with the translation both ways.
//!
//! OpenAI-compatible upstreams take the client's body with `model` rewritten; only Gemini
//! needs `to_gemini` / `from_gemini`. Gemini reports no token counts, so `usage` is estimated
//! from the input text (about four characters a token).

use serde::{Deserialize, Serialize};

use super::base64_encode;
use crate::{FormatError, parse_json, to_json};

// ---------------------------------------------------------------------------------------------
// OpenAI wire

/// `POST /v1/embeddings`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<EmbeddingInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<EncodingFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// A string, a list of strings, a token array, or a list of token arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    Text(String),
    Texts(Vec<String>),
    Tokens(Vec<u32>),
    TokenLists(Vec<Vec<u32>>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum EncodingFormat {
    #[default]
    Float,
    Base64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingResponse {
    pub object: String,
    pub data: Vec<Embedding>,
    pub model: String,
    pub usage: EmbeddingUsage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    pub object: String,
    pub index: usize,
    pub embedding: EmbeddingVector,
}

/// Floats, or (with `encoding_format: "base64"`) the little-endian f32 bytes in base64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingVector {
    Float(Vec<f32>),
    Base64(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingUsage {
    pub prompt_tokens: u64,
    pub total_tokens: u64,
}

// ---------------------------------------------------------------------------------------------
// Gemini wire

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

// ---------------------------------------------------------------------------------------------
// Translation

/// A client's embeddings request, checked: `model` and a non-empty `input` are required.
pub fn decode_request(body: &[u8]) -> Result<EmbeddingRequest, FormatError> {
    let request: EmbeddingRequest = parse_json(body)?;
    match &request.model {
        Some(m) if !m.is_empty() => {}
        _ => return Err(FormatError::field("model", "is required")),
    }
    let empty = match &request.input {
        None => true,
        Some(EmbeddingInput::Text(_)) => false,
        Some(EmbeddingInput::Texts(t)) => t.is_empty(),
        Some(EmbeddingInput::Tokens(t)) => t.is_empty(),
        Some(EmbeddingInput::TokenLists(t)) => t.is_empty() || t.iter().any(Vec::is_empty),
    };
    if empty {
        return Err(FormatError::field(
            "input",
            "is required: a string, an array of strings or of token arrays",
        ));
    }
    Ok(request)
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

/// Estimated prompt tokens of the request's input (token arrays count exactly).
pub fn estimate_tokens(input: Option<&EmbeddingInput>) -> u64 {
    let chars = |t: &str| (t.chars().count() as u64).div_ceil(4);
    match input {
        Some(EmbeddingInput::Text(t)) => chars(t),
        Some(EmbeddingInput::Texts(ts)) => ts.iter().map(|t| chars(t)).sum(),
        Some(EmbeddingInput::Tokens(t)) => t.len() as u64,
        Some(EmbeddingInput::TokenLists(ts)) => ts.iter().map(|t| t.len() as u64).sum(),
        None => 0,
    }
}

/// One vector in the encoding the client asked for.
pub fn encode_vector(values: Vec<f32>, encoding: EncodingFormat) -> EmbeddingVector {
    match encoding {
        EncodingFormat::Float => EmbeddingVector::Float(values),
        EncodingFormat::Base64 => {
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            EmbeddingVector::Base64(base64_encode(&bytes))
        }
    }
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

/// Serializes an OpenAI embeddings response.
pub fn encode_response(response: &EmbeddingResponse) -> Vec<u8> {
    to_json(response)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn request(body: Value) -> EmbeddingRequest {
        decode_request(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn every_openai_input_shape_decodes() {
        let cases = [
            (json!("hi"), EmbeddingInput::Text("hi".into())),
            (
                json!(["a", "b"]),
                EmbeddingInput::Texts(vec!["a".into(), "b".into()]),
            ),
            (json!([1, 2, 3]), EmbeddingInput::Tokens(vec![1, 2, 3])),
            (
                json!([[1], [2, 3]]),
                EmbeddingInput::TokenLists(vec![vec![1], vec![2, 3]]),
            ),
        ];
        for (input, expected) in cases {
            let r = request(json!({"model": "m", "input": input}));
            assert_eq!(r.input, Some(expected));
        }
    }

    #[test]
    fn missing_model_or_input_names_the_field() {
        let e = decode_request(br#"{"input": "x"}"#).unwrap_err();
        assert!(e.to_string().starts_with("model:"), "{e}");
        let e = decode_request(br#"{"model": "m", "input": []}"#).unwrap_err();
        assert!(e.to_string().starts_with("input:"), "{e}");
        let e = decode_request(br#"{"model": "m", "input": "x", "encoding_format": "hex"}"#)
            .unwrap_err();
        assert!(e.to_string().contains("encoding_format"), "{e}");
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

    #[test]
    fn base64_encoding_is_little_endian_f32() {
        let r = request(json!({"model": "m", "input": "x", "encoding_format": "base64"}));
        let out = from_gemini(br#"{"embeddings": [{"values": [1.0, -2.0]}]}"#, &r, "m").unwrap();
        // 1.0f32 = 00 00 80 3f, -2.0f32 = 00 00 00 c0
        assert_eq!(
            out.data[0].embedding,
            EmbeddingVector::Base64(base64_encode(&[0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]))
        );
        assert_eq!(
            out.data[0].embedding,
            EmbeddingVector::Base64("AACAPwAAAMA=".into())
        );
    }
}
