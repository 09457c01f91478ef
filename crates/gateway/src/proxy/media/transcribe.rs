//! `POST /v1/audio/transcriptions`: the OpenAI multipart form read (the file at most 25 MB, in
//! an accepted format) into a transcription call, which is routed like every request; the
//! adapter of the target (Deepgram, AssemblyAI, an OpenAI-compatible provider) transcribes it
//! and answers in OpenAI's `json`, `text` or `verbose_json` shape.

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::response::Response;
use omniroute_formats::FormatError;
use omniroute_formats::media::transcription;
use omniroute_providers::{Audio, MediaCall};

use crate::AppState;
use crate::proxy::error::ProxyError;

/// Longest non-file form field of a transcription request.
const MAX_FIELD: usize = 64 * 1024;

/// The uploaded audio file.
struct AudioFile {
    name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

fn too_large() -> ProxyError {
    ProxyError::TooLarge {
        limit_mb: transcription::MAX_AUDIO_BYTES / (1024 * 1024),
    }
}

fn bad(field: &str, message: impl Into<String>) -> ProxyError {
    ProxyError::BadRequest(FormatError::field(field, message))
}

async fn read_field(
    field: &mut axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<Vec<u8>, ProxyError> {
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
                ProxyError::Invalid(format!("form field is longer than {limit} bytes"))
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
) -> Result<(Option<AudioFile>, transcription::TranscriptionRequest, bool), ProxyError> {
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
    let caller = super::super::caller_of(&request);
    let call = read_audio(&state, request).await;
    super::super::pipeline::media(&state, caller, call).await
}

/// The form as a transcription call, checked: a file in an accepted format, and a model.
async fn read_audio(state: &AppState, request: Request) -> Result<(MediaCall, String), ProxyError> {
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
    let mime = file
        .content_type
        .as_deref()
        .filter(|ct| transcription::AudioFormat::detect(None, Some(ct)).is_some())
        .unwrap_or(format.mime())
        .to_owned();
    let model = fields.model.clone();
    let audio = Audio {
        request: fields,
        file_name: file.name,
        mime,
        bytes: file.bytes.into(),
    };
    Ok((MediaCall::Transcription(audio), model))
}
