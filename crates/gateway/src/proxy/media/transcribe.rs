//! `POST /v1/audio/transcriptions`: the OpenAI multipart form read (the file at most 25 MB, in
//! an accepted format), then transcribed by Deepgram (`/v1/listen`), AssemblyAI (upload →
//! transcript → poll, with a bounded wait) or an OpenAI-compatible provider (the form rebuilt),
//! and answered in OpenAI's `json`, `text` or `verbose_json` shape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use omniroute_formats::media::transcription;
use omniroute_formats::{ErrorInfo, ErrorKind};
use omniroute_providers::{ModelKind, Wire};

use super::{
    JSON, MediaError, Upstream, answer, bad, invalid_answer, openai_url, relay, root, send,
    send_json, unreachable, unsupported, upstream_for, with_type,
};
use crate::AppState;
use crate::proxy::error::ProxyError;

/// Longest wait for an AssemblyAI transcript, polling included.
const ASSEMBLYAI_MAX_WAIT: Duration = Duration::from_secs(300);
const POLL_FIRST: Duration = Duration::from_millis(250);
const POLL_MAX: Duration = Duration::from_secs(3);

/// Longest non-file form field of a transcription request.
const MAX_FIELD: usize = 64 * 1024;

/// The uploaded audio file.
struct AudioFile {
    name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

fn too_large() -> MediaError {
    MediaError::Proxy(ProxyError::TooLarge {
        limit_mb: transcription::MAX_AUDIO_BYTES / (1024 * 1024),
    })
}

async fn read_field(
    field: &mut axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| ProxyError::Invalid(format!("cannot read the multipart form: {e}")))?
    {
        if out.len() + chunk.len() > limit {
            return Err(if limit == transcription::MAX_AUDIO_BYTES {
                too_large()
            } else {
                ProxyError::Invalid(format!("form field is longer than {limit} bytes")).into()
            });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Reads the multipart form: the file and the fields OmniRoute uses (others are ignored).
async fn read_form(
    state: &AppState,
    request: Request,
) -> Result<(Option<AudioFile>, transcription::TranscriptionRequest, bool), MediaError> {
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| ProxyError::Invalid(format!("expected a multipart/form-data body: {e}")))?;
    let mut file = None;
    let mut fields = transcription::TranscriptionRequest::default();
    let mut has_model = false;
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| ProxyError::Invalid(format!("cannot read the multipart form: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let meta = (
                field.file_name().map(str::to_owned),
                field.content_type().map(str::to_owned),
            );
            let bytes = read_field(&mut field, transcription::MAX_AUDIO_BYTES).await?;
            file = Some(AudioFile {
                name: meta.0,
                content_type: meta.1,
                bytes,
            });
            continue;
        }
        let value = String::from_utf8_lossy(&read_field(&mut field, MAX_FIELD).await?)
            .trim()
            .to_owned();
        match name.as_str() {
            "model" => {
                has_model = !value.is_empty();
                fields.model = value;
            }
            "language" if !value.is_empty() => fields.language = Some(value),
            "prompt" if !value.is_empty() => fields.prompt = Some(value),
            "temperature" if !value.is_empty() => fields.temperature = Some(value),
            "response_format" if !value.is_empty() => {
                fields.response_format =
                    transcription::ResponseFormat::parse(&value).map_err(ProxyError::BadRequest)?;
            }
            _ => {}
        }
    }
    Ok((file, fields, has_model))
}

pub async fn transcriptions(State(state): State<AppState>, request: Request) -> Response {
    answer(run_transcription(&state, request).await)
}

async fn run_transcription(state: &AppState, request: Request) -> Result<Response, MediaError> {
    let (file, fields, has_model) = read_form(state, request).await?;
    let Some(file) = file else {
        return Err(bad("file", "is required: the audio file to transcribe"));
    };
    if !has_model {
        return Err(bad("model", "is required"));
    }
    let Some(format) =
        transcription::AudioFormat::detect(file.name.as_deref(), file.content_type.as_deref())
    else {
        let got = file
            .name
            .as_deref()
            .and_then(|n| n.rsplit_once('.').map(|(_, ext)| ext.to_owned()))
            .or(file.content_type.clone())
            .unwrap_or_else(|| "unknown".into());
        return Err(bad(
            "file",
            format!(
                "unsupported audio format '{got}': accepted formats are {}",
                transcription::ACCEPTED_FORMATS
            ),
        ));
    };
    if file.bytes.is_empty() {
        return Err(bad("file", "is empty"));
    }
    let up = upstream_for(state, &fields.model, ModelKind::Audio)?;
    let mime = file
        .content_type
        .as_deref()
        .filter(|ct| transcription::AudioFormat::detect(None, Some(ct)).is_some())
        .unwrap_or(format.mime())
        .to_owned();
    let upstream_fields = transcription::TranscriptionRequest {
        model: up.model.clone(),
        ..fields
    };
    let transcript = match up.wire {
        Wire::Deepgram => deepgram(state, &up, &upstream_fields, &mime, file.bytes).await?,
        Wire::Assemblyai => assemblyai(state, &up, &upstream_fields, file.bytes).await?,
        Wire::Openai => {
            return openai_transcription(state, &up, &upstream_fields, &file, &mime).await;
        }
        _ => return Err(unsupported(&up, "transcription")),
    };
    let (content_type, body) =
        transcription::encode_response(&transcript, upstream_fields.response_format);
    Ok(with_type(body, HeaderValue::from_static(content_type)))
}

async fn deepgram(
    state: &AppState,
    up: &Upstream,
    request: &transcription::TranscriptionRequest,
    mime: &str,
    audio: Vec<u8>,
) -> Result<transcription::Transcript, MediaError> {
    let query = transcription::deepgram_query(request)
        .into_iter()
        .map(|(k, v)| format!("{k}={}", encode_query(&v)))
        .collect::<Vec<_>>()
        .join("&");
    let url = format!("{}/v1/listen?{query}", root(&up.base_url, &["/v1"]));
    let response = send(
        state,
        up,
        Method::POST,
        &url,
        &[("content-type", mime)],
        Some(audio),
    )
    .await?;
    let bytes = response
        .bytes()
        .await
        .map_err(|e| unreachable(&up.provider, &e))?;
    transcription::from_deepgram(&bytes, request.language.as_deref())
        .map_err(|e| invalid_answer(up, &e))
}

/// Percent-encodes a query value (unreserved characters stay).
fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn assemblyai(
    state: &AppState,
    up: &Upstream,
    request: &transcription::TranscriptionRequest,
    audio: Vec<u8>,
) -> Result<transcription::Transcript, MediaError> {
    let base = root(&up.base_url, &["/v2"]);
    let started = Instant::now();
    let response = send(
        state,
        up,
        Method::POST,
        &format!("{base}/v2/upload"),
        &[("content-type", "application/octet-stream")],
        Some(audio),
    )
    .await?;
    let bytes = response
        .bytes()
        .await
        .map_err(|e| unreachable(&up.provider, &e))?;
    let upload: transcription::UploadResponse =
        omniroute_formats::parse_json(&bytes).map_err(|e| invalid_answer(up, &e))?;
    let body = transcription::assemblyai_request(upload.upload_url, request);
    let bytes = send_json(state, up, &format!("{base}/v2/transcript"), JSON, body).await?;
    let mut poll = transcription::from_assemblyai(&bytes).map_err(|e| invalid_answer(up, &e))?;
    let mut delay = POLL_FIRST;
    loop {
        let id = match poll {
            transcription::Poll::Done(transcript) => return Ok(transcript),
            transcription::Poll::Failed(message) => {
                return Err(MediaError::Upstream {
                    provider: up.provider.clone(),
                    error: ErrorInfo {
                        status: 422,
                        ..ErrorInfo::invalid(format!("transcription failed: {message}"))
                    },
                });
            }
            transcription::Poll::Pending { id } => id,
        };
        if started.elapsed() + delay > ASSEMBLYAI_MAX_WAIT {
            return Err(MediaError::Upstream {
                provider: up.provider.clone(),
                error: ErrorInfo::new(
                    ErrorKind::Timeout,
                    format!(
                        "transcript {id} was not ready within {} s",
                        ASSEMBLYAI_MAX_WAIT.as_secs()
                    ),
                ),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 3 / 2).min(POLL_MAX);
        let url = format!("{base}/v2/transcript/{}", encode_query(&id));
        let response = send(state, up, Method::GET, &url, &[], None).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| unreachable(&up.provider, &e))?;
        poll = transcription::from_assemblyai(&bytes).map_err(|e| invalid_answer(up, &e))?;
    }
}

/// OpenAI-compatible transcription (OpenAI, Groq): the form rebuilt, the answer relayed.
async fn openai_transcription(
    state: &AppState,
    up: &Upstream,
    request: &transcription::TranscriptionRequest,
    file: &AudioFile,
    mime: &str,
) -> Result<Response, MediaError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let boundary = format!(
        "omniroute-{nanos:08x}-{:x}",
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut fields = vec![
        ("model", request.model.as_str()),
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
    let body = transcription::encode_multipart(
        &boundary,
        &fields,
        file.name.as_deref().unwrap_or("audio"),
        mime,
        &file.bytes,
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let url = openai_url(up, "audio/transcriptions");
    let response = send(
        state,
        up,
        Method::POST,
        &url,
        &[("content-type", content_type.as_str())],
        Some(body),
    )
    .await?;
    relay(up, response).await
}
