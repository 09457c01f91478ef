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

// ---------------------------------------------------------------------------------------------
// Fireworks wire

/// The body of `POST {base}/workflows/{model}/text_to_image`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FireworksImageRequest {
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect_ratio: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance_scale: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_inference_steps: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// The answer with `Accept: application/json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FireworksImageResponse {
    #[serde(default)]
    pub base64: Vec<String>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
}

/// The aspect ratios the FLUX workflows accept.
pub const FIREWORKS_ASPECT_RATIOS: &[(&str, u32, u32)] = &[
    ("1:1", 1, 1),
    ("21:9", 21, 9),
    ("16:9", 16, 9),
    ("3:2", 3, 2),
    ("5:4", 5, 4),
    ("4:5", 4, 5),
    ("2:3", 2, 3),
    ("9:16", 9, 16),
    ("9:21", 9, 21),
    ("4:3", 4, 3),
    ("3:4", 3, 4),
];

/// The Fireworks aspect ratio nearest to an OpenAI `size` (`1792x1024` → `16:9`); `None` for
/// `auto` or a size that is not `WxH`.
pub fn aspect_ratio(size: &str) -> Option<&'static str> {
    let (w, h) = size.split_once(['x', 'X'])?;
    let (w, h) = (w.trim().parse::<f64>().ok()?, h.trim().parse::<f64>().ok()?);
    if w <= 0.0 || h <= 0.0 {
        return None;
    }
    let wanted = (w / h).ln();
    FIREWORKS_ASPECT_RATIOS
        .iter()
        .map(|(name, a, b)| (*name, (wanted - (f64::from(*a) / f64::from(*b)).ln()).abs()))
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .map(|(name, _)| name)
}

/// Whether `model` (the id after the provider prefix) is a Fireworks FLUX model served by the
/// text-to-image workflow API rather than an OpenAI-style images endpoint.
pub fn is_fireworks_workflow_model(model: &str) -> bool {
    model
        .rsplit('/')
        .next()
        .is_some_and(|name| name.to_ascii_lowercase().starts_with("flux"))
}

/// The Fireworks workflow body for one image of `request`.
pub fn to_fireworks(request: &ImageRequest) -> FireworksImageRequest {
    FireworksImageRequest {
        prompt: request.prompt.clone().unwrap_or_default(),
        aspect_ratio: request
            .size
            .as_deref()
            .and_then(aspect_ratio)
            .map(str::to_owned),
        guidance_scale: None,
        num_inference_steps: None,
        seed: None,
    }
}

/// Why a Fireworks answer holds no usable image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FireworksOutcome {
    /// The base64 PNGs (a `data:` prefix removed).
    Images(Vec<String>),
    /// `finishReason: CONTENT_FILTERED` (the safety check removed the image).
    Filtered,
}

/// Reads one Fireworks workflow answer.
pub fn from_fireworks(body: &[u8]) -> Result<FireworksOutcome, FormatError> {
    let response: FireworksImageResponse = parse_json(body)?;
    if response.finish_reason.as_deref() == Some("CONTENT_FILTERED") {
        return Ok(FireworksOutcome::Filtered);
    }
    if response.base64.is_empty() {
        return Err(FormatError::field("base64", "the answer holds no image"));
    }
    Ok(FireworksOutcome::Images(
        response
            .base64
            .into_iter()
            .map(|b| match b.split_once(";base64,") {
                Some((prefix, data)) if prefix.starts_with("data:") => data.to_owned(),
                _ => b,
            })
            .collect(),
    ))
}

/// The OpenAI answer for base64 PNGs, as `b64_json` or (`response_format: "url"`) `data:` URLs.
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
    use serde_json::{Value, json};

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

    #[test]
    fn sizes_map_to_the_nearest_fireworks_aspect_ratio() {
        assert_eq!(aspect_ratio("1024x1024"), Some("1:1"));
        assert_eq!(aspect_ratio("1792x1024"), Some("16:9"));
        assert_eq!(aspect_ratio("1024x1792"), Some("9:16"));
        assert_eq!(aspect_ratio("1536x1024"), Some("3:2"));
        assert_eq!(aspect_ratio("auto"), None);
        assert_eq!(aspect_ratio("0x5"), None);
    }

    #[test]
    fn flux_models_use_the_workflow_api() {
        assert!(is_fireworks_workflow_model(
            "accounts/fireworks/models/flux-1-schnell-fp8"
        ));
        assert!(is_fireworks_workflow_model(
            "accounts/fireworks/models/flux-1-dev-fp8"
        ));
        assert!(!is_fireworks_workflow_model(
            "accounts/fireworks/models/stable-diffusion-xl-1024-v1-0"
        ));
    }

    #[test]
    fn fireworks_body_carries_prompt_and_aspect_ratio() {
        let r = decode_request(br#"{"model":"m","prompt":"a cat","size":"1792x1024"}"#).unwrap();
        let body = serde_json::to_value(to_fireworks(&r)).unwrap();
        assert_eq!(body, json!({"prompt": "a cat", "aspect_ratio": "16:9"}));
    }

    #[test]
    fn fireworks_answers_become_openai_images() {
        let body = br#"{"base64": ["data:image/png;base64,iVBORw0K", "QUJD"], "finishReason": "SUCCESS", "seed": 7}"#;
        let FireworksOutcome::Images(images) = from_fireworks(body).unwrap() else {
            panic!("expected images")
        };
        assert_eq!(images, vec!["iVBORw0K".to_owned(), "QUJD".to_owned()]);
        let out: Value =
            serde_json::from_slice(&encode_response(images.clone(), None, 1700000000)).unwrap();
        assert_eq!(
            out,
            json!({"created": 1700000000, "data": [{"b64_json": "iVBORw0K"}, {"b64_json": "QUJD"}]})
        );
        let out: Value =
            serde_json::from_slice(&encode_response(images, Some(ImageResponseFormat::Url), 1))
                .unwrap();
        assert_eq!(out["data"][0]["url"], "data:image/png;base64,iVBORw0K");
        assert_eq!(
            from_fireworks(br#"{"base64": [], "finishReason": "CONTENT_FILTERED"}"#).unwrap(),
            FireworksOutcome::Filtered
        );
        assert!(from_fireworks(br#"{"base64": []}"#).is_err());
    }
}
