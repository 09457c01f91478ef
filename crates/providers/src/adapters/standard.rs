//! The four standard APIs — OpenAI Chat Completions, OpenAI Responses, Anthropic Messages,
//! Gemini `generateContent` — and every provider compatible with one of them, driven by the
//! catalog: the URL by each API's SDK convention (`crate::upstream`), the credential in the
//! catalog's auth style, the catalog's fixed headers. OpenAI-compatible media (embeddings,
//! images, transcription) relay the client's request with `model` rewritten.

use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::BoxFuture;
use omniroute_formats::ir::Usage;
use omniroute_formats::media::transcription::encode_multipart;
use omniroute_formats::{ErrorInfo, Format, FormatError};
use reqwest::Method;
use serde::Deserialize;

use crate::Wire;
use crate::adapter::{Adapter, Audio, ChatBody, MediaAnswer, MediaCall};
use crate::error::UpstreamError;
use crate::http::{Prepared, Upstream};
use crate::target::{Operation, Target};
use crate::upstream::{model_unsendable, upstream_request};

pub struct Standard;

pub static ADAPTER: Standard = Standard;

impl Adapter for Standard {
    fn name(&self) -> &'static str {
        "standard"
    }

    fn serves(&self, operation: Operation, target: &Target) -> bool {
        match operation {
            Operation::Chat => matches!(
                target.wire,
                Wire::Openai | Wire::Anthropic | Wire::Gemini | Wire::Responses
            ),
            Operation::Embeddings | Operation::Images => {
                matches!(target.wire, Wire::Openai | Wire::Responses)
            }
            Operation::Transcription => target.wire == Wire::Openai,
        }
    }

    fn prepare_chat(&self, target: &Target, chat: ChatBody<'_>) -> Result<Prepared, UpstreamError> {
        let format = target
            .format()
            .ok_or_else(|| crate::adapter::unsupported(target, Operation::Chat))?;
        if let Some(reason) = model_unsendable(format, &target.upstream_model) {
            return Err(UpstreamError::Request(FormatError::field("model", reason)));
        }
        let mut extra = target.headers.clone();
        for (name, value) in chat.forwarded {
            let value = match extra.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                // Beta flags are a list: the provider's own (Claude's OAuth flag) and the
                // client's both apply.
                Some((_, ours)) if name.eq_ignore_ascii_case("anthropic-beta") => {
                    merge_list(ours, value)
                }
                _ => value.clone(),
            };
            extra.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            extra.push((name.clone(), value));
        }
        let up = upstream_request(
            format,
            &target.base_url,
            &target.upstream_model,
            chat.stream,
            target.auth,
            &extra,
        );
        Ok(Prepared {
            method: Method::POST,
            url: up.url,
            headers: up.headers,
            body: Some(chat.body),
        })
    }

    fn decode_error(&self, target: &Target, status: u16, body: &[u8]) -> ErrorInfo {
        // OpenAI-compatible media answer errors in OpenAI's shape too.
        let format = target.format().unwrap_or(Format::OpenAiChat);
        omniroute_formats::decode_error(format, status, body)
    }

    fn media<'a>(
        &'a self,
        upstream: Upstream<'a>,
        call: &'a MediaCall,
    ) -> BoxFuture<'a, Result<MediaAnswer, UpstreamError>> {
        Box::pin(async move {
            if !self.serves(call.operation(), upstream.target) {
                return Err(super::unsupported(upstream.target, call));
            }
            match call {
                MediaCall::Embeddings { body, .. } => relay(upstream, "embeddings", body).await,
                MediaCall::Images { body, .. } => relay(upstream, "images/generations", body).await,
                MediaCall::Transcription(audio) => transcribe(upstream, audio).await,
            }
        })
    }
}

/// Two comma-separated lists as one, each item once, in order.
fn merge_list(first: &str, second: &str) -> String {
    let mut items: Vec<&str> = Vec::new();
    for item in first.split(',').chain(second.split(',')).map(str::trim) {
        if !item.is_empty() && !items.contains(&item) {
            items.push(item);
        }
    }
    items.join(",")
}

fn openai_url(target: &Target, path: &str) -> String {
    format!("{}/{path}", target.base_url.trim_end_matches('/'))
}

/// The client's JSON body with `model` rewritten, and the upstream's answer as it came.
async fn relay(
    upstream: Upstream<'_>,
    path: &str,
    body: &[u8],
) -> Result<MediaAnswer, UpstreamError> {
    let target = upstream.target;
    let body = omniroute_formats::rewrite_model(Format::OpenAiChat, body, &target.upstream_model)
        .map_err(UpstreamError::Request)?;
    let prepared = Prepared::new(target, Method::POST, openai_url(target, path))
        .header("content-type", "application/json")
        .body(body);
    answer(upstream, prepared).await
}

/// OpenAI-compatible transcription (OpenAI, Groq): the multipart form rebuilt.
async fn transcribe(upstream: Upstream<'_>, audio: &Audio) -> Result<MediaAnswer, UpstreamError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let target = upstream.target;
    let request = &audio.request;
    let boundary = format!(
        "omniroute-{:08x}-{:x}",
        super::now_secs(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut fields = vec![
        ("model", target.upstream_model.as_str()),
        ("response_format", request.response_format.as_str()),
    ];
    for (name, value) in [
        ("language", &request.language),
        ("prompt", &request.prompt),
        ("temperature", &request.temperature),
    ] {
        if let Some(value) = value {
            fields.push((name, value.as_str()));
        }
    }
    let body = encode_multipart(
        &boundary,
        &fields,
        audio.file_name.as_deref().unwrap_or("audio"),
        &audio.mime,
        &audio.bytes,
    );
    let prepared = Prepared::new(
        target,
        Method::POST,
        openai_url(target, "audio/transcriptions"),
    )
    .header(
        "content-type",
        format!("multipart/form-data; boundary={boundary}"),
    )
    .body(body);
    answer(upstream, prepared).await
}

/// The upstream's answer relayed as is (its content type), with the token counts it reports.
async fn answer(upstream: Upstream<'_>, prepared: Prepared) -> Result<MediaAnswer, UpstreamError> {
    let response = upstream.send(prepared).await?;
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let body = upstream.read_answer(response).await?;
    let usage = content_type
        .starts_with("application/json")
        .then(|| reported_usage(&body))
        .flatten();
    Ok(MediaAnswer {
        content_type,
        body,
        usage,
    })
}

/// `usage` as OpenAI's media answers report it: embeddings `{prompt_tokens, total_tokens}`,
/// images and transcriptions `{input_tokens, output_tokens}`.
fn reported_usage(body: &[u8]) -> Option<Usage> {
    #[derive(Deserialize)]
    struct Answer {
        usage: Option<Reported>,
    }
    #[derive(Deserialize)]
    struct Reported {
        prompt_tokens: Option<u64>,
        input_tokens: Option<u64>,
        output_tokens: Option<u64>,
        completion_tokens: Option<u64>,
    }
    let reported = serde_json::from_slice::<Answer>(body).ok()?.usage?;
    Some(Usage {
        input_tokens: reported.input_tokens.or(reported.prompt_tokens)?,
        output_tokens: reported
            .output_tokens
            .or(reported.completion_tokens)
            .unwrap_or(0),
        ..Usage::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_lists_merge_without_repeats() {
        assert_eq!(
            merge_list(
                "oauth-2025-04-20",
                "interleaved-thinking-2025-05-14, oauth-2025-04-20"
            ),
            "oauth-2025-04-20,interleaved-thinking-2025-05-14"
        );
        assert_eq!(merge_list("", "a"), "a");
    }

    #[test]
    fn media_usage_in_both_spellings() {
        let embeddings = reported_usage(
            br#"{"object":"list","data":[],"usage":{"prompt_tokens":7,"total_tokens":7}}"#,
        )
        .unwrap();
        assert_eq!((embeddings.input_tokens, embeddings.output_tokens), (7, 0));
        let images =
            reported_usage(br#"{"data":[],"usage":{"input_tokens":50,"output_tokens":4160}}"#)
                .unwrap();
        assert_eq!((images.input_tokens, images.output_tokens), (50, 4160));
        assert!(reported_usage(br#"{"data":[]}"#).is_none());
        assert!(reported_usage(b"not json").is_none());
    }
}
