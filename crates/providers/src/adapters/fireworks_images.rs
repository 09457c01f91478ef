//! Fireworks' FLUX models draw through its text-to-image workflow API (docs.fireworks.ai,
//! "Generate an image with FLUX.1 [schnell] FP8"): `POST {base}/workflows/{model}/text_to_image`
//! (`{base}` = `…/inference/v1`, `{model}` = `accounts/fireworks/models/flux-1-schnell-fp8`),
//! JSON body `{prompt, aspect_ratio?, guidance_scale?, num_inference_steps?, seed?}`; with
//! `Accept: application/json` the answer is `{base64: ["<png base64>" | "data:image/png;base64,…"],
//! finishReason: SUCCESS | CONTENT_FILTERED, seed}`. One call makes one image, so `n` images are
//! `n` calls. OpenAI's `size` becomes the nearest `aspect_ratio` Fireworks offers; Fireworks
//! returns no URL, so a client asking for `response_format: "url"` gets a `data:` URL. The
//! catalog routes a model here (`adapters` of the `fireworks` entry).

use futures_util::future::BoxFuture;
use omniroute_formats::media::images::{ImageRequest, encode_response};
use omniroute_formats::{ErrorInfo, FormatError, parse_json, to_json};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::adapter::{MediaAnswer, MediaCall, MediaProtocol};
use crate::error::UpstreamError;
use crate::http::{Prepared, Upstream};
use crate::target::Operation;

pub struct FireworksWorkflow;

pub static ADAPTER: FireworksWorkflow = FireworksWorkflow;

impl MediaProtocol for FireworksWorkflow {
    const NAME: &'static str = "fireworks-workflow";
    const OPERATION: Operation = Operation::Images;

    fn exchange<'a>(
        &'a self,
        upstream: Upstream<'a>,
        call: &'a MediaCall,
    ) -> BoxFuture<'a, Result<MediaAnswer, UpstreamError>> {
        Box::pin(async move {
            let MediaCall::Images { request, .. } = call else {
                return Err(super::unsupported(upstream.target, call));
            };
            let target = upstream.target;
            let url = format!(
                "{}/workflows/{}/text_to_image",
                target.base_url.trim_end_matches('/'),
                target.upstream_model
            );
            let body = to_json(&to_fireworks(request));
            let mut images = Vec::new();
            for _ in 0..request.n.unwrap_or(1) {
                // `Accept: application/json` asks for base64 PNGs instead of one binary image.
                let prepared = Prepared::new(target, Method::POST, url.clone())
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .body(body.clone());
                let answer = upstream.fetch(prepared).await?;
                match from_fireworks(&answer)
                    .map_err(|e| UpstreamError::invalid_answer(&target.provider, &e))?
                {
                    FireworksOutcome::Images(mut drawn) => images.append(&mut drawn),
                    FireworksOutcome::Filtered => {
                        let error = ErrorInfo::invalid(
                            "the image was withheld by the provider's safety check \
                             (CONTENT_FILTERED)",
                        );
                        return Err(UpstreamError::reported(&target.provider, error));
                    }
                }
            }
            Ok(MediaAnswer {
                content_type: "application/json".into(),
                body: encode_response(images, request.response_format, super::now_secs()).into(),
                usage: None,
            })
        })
    }
}

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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use omniroute_formats::media::images::{ImageResponseFormat, decode_request};

    use super::*;

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
