//! Image generation: OpenAI's `POST /v1/images/generations` and Fireworks' FLUX text-to-image
//! workflow API, with the translation between them.
//!
//! Fireworks (docs.fireworks.ai, "Generate an image with FLUX.1 [schnell] FP8"):
//! `POST {base}/workflows/{model}/text_to_image` (`{base}` = `…/inference/v1`, `{model}` =
//! `accounts/fireworks/models/flux-1-schnell-fp8`), JSON body `{prompt, aspect_ratio?,
//! guidance_scale?, num_inference_steps?, seed?}`; with `Accept: application/json` the answer is
//! `{base64: ["<png base64>" | "data:image/png;base64,…"], finishReason: SUCCESS |
//! CONTENT_FILTERED, seed}`. One call makes one image, so `n` images are `n` calls. OpenAI's
//! `size` becomes the nearest `aspect_ratio` Fireworks offers. Fireworks returns no URL: a
//! client asking for `response_format: "url"` gets a `data:` URL.

use serde::{Deserialize, Serialize};

use crate::{FormatError, parse_json, to_json};

// ---------------------------------------------------------------------------------------------
// OpenAI wire

/// `POST /v1/images/generations` (the fields OmniRoute reads; OpenAI-compatible upstreams get
/// the client's body as sent, unknown fields included).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ImageRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ImageResponseFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageResponseFormat {
    Url,
    B64Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageResponse {
    pub created: u64,
    pub data: Vec<ImageData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub b64_json: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revised_prompt: Option<String>,
}

/// Most images one request may ask for (OpenAI's own limit).
pub const MAX_IMAGES: u32 = 10;

/// A client's image request, checked: `model` and `prompt` are required, `n` is 1–10.
pub fn decode_request(body: &[u8]) -> Result<ImageRequest, FormatError> {
    let request: ImageRequest = parse_json(body)?;
    match &request.model {
        Some(m) if !m.is_empty() => {}
        _ => return Err(FormatError::field("model", "is required")),
    }
    match &request.prompt {
        Some(p) if !p.trim().is_empty() => {}
        _ => return Err(FormatError::field("prompt", "is required")),
    }
    if let Some(n) = request.n {
        if n == 0 || n > MAX_IMAGES {
            return Err(FormatError::field(
                "n",
                format!("must be between 1 and {MAX_IMAGES}"),
            ));
        }
    }
    Ok(request)
}

pub fn encode_response(
    images: Vec<String>,
    format: Option<ImageResponseFormat>,
    created: u64,
) -> Vec<u8> {
    let data = images
        .into_iter()
        .map(|b64| match format {
            Some(ImageResponseFormat::Url) => ImageData {
                b64_json: None,
                url: Some(format!("data:image/png;base64,{b64}")),
                revised_prompt: None,
            },
            Some(ImageResponseFormat::B64Json) | None => ImageData {
                b64_json: Some(b64),
                url: None,
                revised_prompt: None,
            },
        })
        .collect();
    to_json(&ImageResponse { created, data })
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn requests_need_model_and_prompt_and_a_sane_n() {
        let ok = decode_request(
            br#"{"model":"m","prompt":"a cat","n":2,"size":"1024x1024","response_format":"b64_json"}"#,
        )
        .unwrap();
        assert_eq!(ok.n, Some(2));
        assert_eq!(ok.response_format, Some(ImageResponseFormat::B64Json));
        for (body, field) in [
            (r#"{"prompt":"x"}"#, "model"),
            (r#"{"model":"m"}"#, "prompt"),
            (r#"{"model":"m","prompt":"x","n":11}"#, "n"),
            (
                r#"{"model":"m","prompt":"x","response_format":"gif"}"#,
                "response_format",
            ),
        ] {
            let e = decode_request(body.as_bytes()).unwrap_err();
            assert!(e.to_string().contains(field), "{body}: {e}");
        }
    }
}
