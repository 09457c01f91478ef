//! AssemblyAI's asynchronous transcription: `POST {root}/v2/upload` (raw audio) →
//! `POST /v2/transcript {audio_url, speech_model}` → `GET /v2/transcript/{id}` polled with a
//! growing delay until `completed` or `error`, within a bounded wait.

use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use omniroute_formats::media::transcription::{Transcript, TranscriptionRequest, Word};
use omniroute_formats::{ErrorInfo, ErrorKind, FormatError, parse_json, to_json};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::{encode_query, root, transcript_answer};
use crate::adapter::{MediaAnswer, MediaCall, MediaProtocol};
use crate::error::UpstreamError;
use crate::http::{Prepared, Upstream};
use crate::target::Operation;

/// Longest wait for a transcript, polling included.
const MAX_WAIT: Duration = Duration::from_secs(300);
const POLL_FIRST: Duration = Duration::from_millis(250);
const POLL_MAX: Duration = Duration::from_secs(3);

pub struct AssemblyAi;

pub static ADAPTER: AssemblyAi = AssemblyAi;

impl MediaProtocol for AssemblyAi {
    const NAME: &'static str = "assemblyai";
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
            let request = TranscriptionRequest {
                model: upstream.target.upstream_model.clone(),
                ..audio.request.clone()
            };
            let transcript = transcribe(upstream, &request, audio.bytes.to_vec()).await?;
            Ok(transcript_answer(&transcript, request.response_format))
        })
    }
}

async fn transcribe(
    upstream: Upstream<'_>,
    request: &TranscriptionRequest,
    audio: Vec<u8>,
) -> Result<Transcript, UpstreamError> {
    let target = upstream.target;
    let provider = target.provider.as_str();
    let invalid = |e: FormatError| UpstreamError::invalid_answer(provider, &e);
    let base = root(&target.base_url, &["/v2"]);
    let started = Instant::now();
    let upload = Prepared::new(target, Method::POST, format!("{base}/v2/upload"))
        .header("content-type", "application/octet-stream")
        .body(audio);
    let bytes = upstream.fetch(upload).await?;
    let upload: UploadResponse = parse_json(&bytes).map_err(invalid)?;
    let create = Prepared::new(target, Method::POST, format!("{base}/v2/transcript"))
        .header("content-type", "application/json")
        .body(assemblyai_request(upload.upload_url, request));
    let mut poll = from_assemblyai(&upstream.fetch(create).await?).map_err(invalid)?;
    let mut delay = POLL_FIRST;
    loop {
        let id = match poll {
            Poll::Done(transcript) => return Ok(transcript),
            Poll::Failed(message) => {
                let error = ErrorInfo {
                    status: 422,
                    ..ErrorInfo::invalid(format!("transcription failed: {message}"))
                };
                return Err(UpstreamError::reported(provider, error));
            }
            Poll::Pending { id } => id,
        };
        if started.elapsed() + delay > MAX_WAIT {
            let error = ErrorInfo::new(
                ErrorKind::Timeout,
                format!(
                    "transcript {id} was not ready within {} s",
                    MAX_WAIT.as_secs()
                ),
            );
            return Err(UpstreamError::reported(provider, error));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 3 / 2).min(POLL_MAX);
        let url = format!("{base}/v2/transcript/{}", encode_query(&id));
        let bytes = upstream
            .fetch(Prepared::new(target, Method::GET, url))
            .await?;
        poll = from_assemblyai(&bytes).map_err(invalid)?;
    }
}

/// `POST /v2/upload` → `{upload_url}`.
#[derive(Debug, Deserialize)]
pub struct UploadResponse {
    pub upload_url: String,
}

/// `POST /v2/transcript`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptRequest {
    pub audio_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language_code: Option<String>,
}

/// The transcript resource, as `POST /v2/transcript` and `GET /v2/transcript/{id}` return it.
#[derive(Debug, Clone, Deserialize)]
pub struct TranscriptResource {
    pub id: String,
    /// `queued`, `processing`, `completed` or `error`.
    pub status: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub language_code: Option<String>,
    /// Seconds.
    #[serde(default)]
    pub audio_duration: Option<f64>,
    #[serde(default)]
    pub words: Option<Vec<AssemblyWord>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AssemblyWord {
    pub text: String,
    /// Milliseconds.
    #[serde(default)]
    pub start: u64,
    #[serde(default)]
    pub end: u64,
}

/// The transcript request for an uploaded file. AssemblyAI's own models are `universal`,
/// `best`, `nano` and `slam-1`; the model id is sent as `speech_model`.
pub fn assemblyai_request(upload_url: String, request: &TranscriptionRequest) -> Vec<u8> {
    to_json(&TranscriptRequest {
        audio_url: upload_url,
        speech_model: Some(request.model.clone()).filter(|m| !m.is_empty()),
        language_code: request.language.clone(),
    })
}

/// Where a polled transcript stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    Pending { id: String },
    Done(Transcript),
    Failed(String),
}

/// Reads a transcript resource (after creation or a poll).
pub fn from_assemblyai(body: &[u8]) -> Result<Poll, FormatError> {
    let resource: TranscriptResource = parse_json(body)?;
    Ok(match resource.status.as_str() {
        "completed" => Poll::Done(Transcript {
            text: resource.text.unwrap_or_default(),
            language: resource.language_code,
            duration: resource.audio_duration,
            words: resource
                .words
                .unwrap_or_default()
                .into_iter()
                .map(|w| Word {
                    word: w.text,
                    start: w.start as f64 / 1000.0,
                    end: w.end as f64 / 1000.0,
                })
                .collect(),
        }),
        "error" => Poll::Failed(
            resource
                .error
                .unwrap_or_else(|| "the transcription failed".to_owned()),
        ),
        _ => Poll::Pending { id: resource.id },
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn assemblyai_states_are_read() {
        let r = TranscriptionRequest {
            model: "universal".into(),
            ..Default::default()
        };
        let body: Value =
            serde_json::from_slice(&assemblyai_request("https://cdn/u/1".into(), &r)).unwrap();
        assert_eq!(
            body,
            json!({"audio_url": "https://cdn/u/1", "speech_model": "universal"})
        );
        assert_eq!(
            from_assemblyai(br#"{"id": "t1", "status": "queued"}"#).unwrap(),
            Poll::Pending { id: "t1".into() }
        );
        let done = from_assemblyai(
            br#"{"id": "t1", "status": "completed", "text": "Hi there.", "audio_duration": 2.0,
                 "language_code": "en_us", "words": [{"text": "Hi", "start": 100, "end": 400, "confidence": 0.9}]}"#,
        )
        .unwrap();
        let Poll::Done(t) = done else {
            panic!("expected done")
        };
        assert_eq!(t.text, "Hi there.");
        assert_eq!(
            t.words[0],
            Word {
                word: "Hi".into(),
                start: 0.1,
                end: 0.4
            }
        );
        assert_eq!(
            from_assemblyai(br#"{"id": "t1", "status": "error", "error": "no audio"}"#).unwrap(),
            Poll::Failed("no audio".into())
        );
    }
}
