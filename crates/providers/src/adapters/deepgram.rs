//! Deepgram's pre-recorded transcription: `POST {root}/v1/listen?model=…&smart_format=true`
//! with the raw audio as the body and `Authorization: Token <key>`; the answer's first
//! alternative becomes OpenAI's transcription.

use futures_util::future::BoxFuture;
use omniroute_formats::media::transcription::{Transcript, TranscriptionRequest, Word};
use omniroute_formats::{FormatError, parse_json};
use reqwest::Method;
use serde::Deserialize;

use super::{encode_query, root, transcript_answer};
use crate::adapter::{MediaAnswer, MediaCall, MediaProtocol};
use crate::error::UpstreamError;
use crate::http::{Prepared, Upstream};
use crate::target::Operation;

pub struct Deepgram;

pub static ADAPTER: Deepgram = Deepgram;

impl MediaProtocol for Deepgram {
    const NAME: &'static str = "deepgram";
    const OPERATION: Operation = Operation::Transcription;

    fn exchange<'a>(
        &'a self,
        upstream: Upstream<'a>,
        call: &'a MediaCall,
    ) -> BoxFuture<'a, Result<MediaAnswer, UpstreamError>> {
        Box::pin(async move {
            let MediaCall::Transcription(audio) = call else {
                return Err(super::unsupported(upstream.target, call));
            };
            let target = upstream.target;
            let request = TranscriptionRequest {
                model: target.upstream_model.clone(),
                ..audio.request.clone()
            };
            let query = deepgram_query(&request)
                .into_iter()
                .map(|(k, v)| format!("{k}={}", encode_query(&v)))
                .collect::<Vec<_>>()
                .join("&");
            let url = format!("{}/v1/listen?{query}", root(&target.base_url, &["/v1"]));
            let prepared = Prepared::new(target, Method::POST, url)
                .header("content-type", audio.mime.clone())
                .body(audio.bytes.to_vec());
            let bytes = upstream.fetch(prepared).await?;
            let transcript = from_deepgram(&bytes, request.language.as_deref())
                .map_err(|e| UpstreamError::invalid_answer(&target.provider, &e))?;
            Ok(transcript_answer(&transcript, request.response_format))
        })
    }
}

/// The query of `POST /v1/listen`.
pub fn deepgram_query(request: &TranscriptionRequest) -> Vec<(&'static str, String)> {
    let mut query = vec![
        ("model", request.model.clone()),
        ("smart_format", "true".to_owned()),
    ];
    if let Some(language) = &request.language {
        query.push(("language", language.clone()));
    }
    query
}

#[derive(Debug, Default, Deserialize)]
pub struct ListenResponse {
    #[serde(default)]
    pub metadata: Option<ListenMetadata>,
    pub results: ListenResults,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListenMetadata {
    #[serde(default)]
    pub duration: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListenResults {
    #[serde(default)]
    pub channels: Vec<ListenChannel>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListenChannel {
    #[serde(default)]
    pub alternatives: Vec<ListenAlternative>,
    #[serde(default)]
    pub detected_language: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListenAlternative {
    #[serde(default)]
    pub transcript: String,
    #[serde(default)]
    pub words: Vec<ListenWord>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListenWord {
    pub word: String,
    #[serde(default)]
    pub punctuated_word: Option<String>,
    #[serde(default)]
    pub start: f64,
    #[serde(default)]
    pub end: f64,
}

/// Deepgram's answer: the first channel's best alternative.
pub fn from_deepgram(body: &[u8], language: Option<&str>) -> Result<Transcript, FormatError> {
    let response: ListenResponse = parse_json(body)?;
    let channel = response
        .results
        .channels
        .into_iter()
        .next()
        .ok_or_else(|| FormatError::field("results.channels", "is empty"))?;
    let detected = channel.detected_language;
    let best = channel
        .alternatives
        .into_iter()
        .next()
        .ok_or_else(|| FormatError::field("results.channels[0].alternatives", "is empty"))?;
    Ok(Transcript {
        text: best.transcript,
        language: detected.or(language.map(str::to_owned)),
        duration: response.metadata.and_then(|m| m.duration),
        words: best
            .words
            .into_iter()
            .map(|w| Word {
                word: w.punctuated_word.unwrap_or(w.word),
                start: w.start,
                end: w.end,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use omniroute_formats::media::transcription::{ResponseFormat, encode_response};

    use super::*;

    #[test]
    fn deepgram_answer_becomes_openai_text() {
        let body = json!({
            "metadata": {"request_id": "r", "duration": 1.5, "channels": 1},
            "results": {"channels": [{"alternatives": [{
                "transcript": "Hello world.", "confidence": 0.99,
                "words": [
                    {"word": "hello", "start": 0.1, "end": 0.5, "confidence": 0.99, "punctuated_word": "Hello"},
                    {"word": "world", "start": 0.6, "end": 1.0, "confidence": 0.98, "punctuated_word": "world."}
                ]}]}]}
        });
        let t = from_deepgram(body.to_string().as_bytes(), Some("en")).unwrap();
        assert_eq!(t.text, "Hello world.");
        let (ct, json) = encode_response(&t, ResponseFormat::Json);
        assert_eq!(ct, "application/json");
        assert_eq!(
            serde_json::from_slice::<Value>(&json).unwrap(),
            json!({"text": "Hello world."})
        );
        let (_, verbose) = encode_response(&t, ResponseFormat::VerboseJson);
        let v: Value = serde_json::from_slice(&verbose).unwrap();
        assert_eq!(v["language"], "en");
        assert_eq!(v["duration"], 1.5);
        assert_eq!(
            v["words"][0],
            json!({"word": "Hello", "start": 0.1, "end": 0.5})
        );
        let (ct, text) = encode_response(&t, ResponseFormat::Text);
        assert!(ct.starts_with("text/plain"));
        assert_eq!(text, b"Hello world.\n");
        assert!(from_deepgram(br#"{"results": {"channels": []}}"#, None).is_err());
    }

    #[test]
    fn deepgram_query_names_model_and_smart_format() {
        let r = TranscriptionRequest {
            model: "nova-3".into(),
            language: Some("de".into()),
            ..Default::default()
        };
        assert_eq!(
            deepgram_query(&r),
            vec![
                ("model", "nova-3".to_owned()),
                ("smart_format", "true".to_owned()),
                ("language", "de".to_owned())
            ]
        );
    }
}
