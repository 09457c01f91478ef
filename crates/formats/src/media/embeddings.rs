//! Embeddings: OpenAI's `POST /v1/embeddings`, what clients send and what they get back.
//! OpenAI-compatible upstreams take the client's body with `model` rewritten; upstreams with
//! their own protocol are adapters of `omniroute_providers`, which answer in these types.

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
    fn base64_encoding_is_little_endian_f32() {
        let out = encode_vector(vec![1.0, -2.0], EncodingFormat::Base64);
        // 1.0f32 = 00 00 80 3f, -2.0f32 = 00 00 00 c0
        assert_eq!(
            out,
            EmbeddingVector::Base64(base64_encode(&[0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]))
        );
        assert_eq!(out, EmbeddingVector::Base64("AACAPwAAAMA=".into()));
    }
}
