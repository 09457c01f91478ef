//! Transcription: OpenAI's `POST /v1/audio/transcriptions` (multipart in; `json`, `text` or
//! `verbose_json` out), Deepgram's `POST /v1/listen` (raw audio in, `results.channels[].
//! alternatives[]` out) and AssemblyAI's upload → transcript → poll API, with the translation of
//! each answer to OpenAI's shape. OpenAI-compatible upstreams (OpenAI, Groq) get the multipart
//! form rebuilt by `encode_multipart`.

use serde::{Deserialize, Serialize};

use crate::{FormatError, parse_json, to_json};

/// The largest audio file accepted (OpenAI's own limit).
pub const MAX_AUDIO_BYTES: usize = 25 * 1024 * 1024;

/// The accepted audio formats, for error messages.
pub const ACCEPTED_FORMATS: &str = "mp3, wav, m4a, flac, ogg, webm";

/// An accepted audio container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Mp3,
    Wav,
    M4a,
    Flac,
    Ogg,
    Webm,
}

impl AudioFormat {
    /// The MIME type sent upstream.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Mp3 => "audio/mpeg",
            Self::Wav => "audio/wav",
            Self::M4a => "audio/mp4",
            Self::Flac => "audio/flac",
            Self::Ogg => "audio/ogg",
            Self::Webm => "audio/webm",
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "mp3" | "mpga" | "mpeg" => Self::Mp3,
            "wav" | "wave" => Self::Wav,
            "m4a" | "mp4a" => Self::M4a,
            "flac" => Self::Flac,
            "ogg" | "oga" | "opus" => Self::Ogg,
            "webm" => Self::Webm,
            _ => return None,
        })
    }

    fn from_mime(mime: &str) -> Option<Self> {
        let essence = mime.split(';').next().unwrap_or("").trim();
        Some(match essence.to_ascii_lowercase().as_str() {
            "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3" => Self::Mp3,
            "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => Self::Wav,
            "audio/mp4" | "audio/m4a" | "audio/x-m4a" | "audio/aac" => Self::M4a,
            "audio/flac" | "audio/x-flac" => Self::Flac,
            "audio/ogg" | "application/ogg" | "audio/opus" => Self::Ogg,
            "audio/webm" | "video/webm" => Self::Webm,
            _ => return None,
        })
    }

    /// The format of an uploaded file, judged by its name's extension, else its content type.
    pub fn detect(filename: Option<&str>, content_type: Option<&str>) -> Option<Self> {
        filename
            .and_then(|n| n.rsplit_once('.'))
            .and_then(|(_, ext)| Self::from_extension(ext))
            .or_else(|| content_type.and_then(Self::from_mime))
    }
}

/// What the client wants back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseFormat {
    #[default]
    Json,
    Text,
    VerboseJson,
}

impl ResponseFormat {
    pub fn parse(value: &str) -> Result<Self, FormatError> {
        match value {
            "json" => Ok(Self::Json),
            "text" => Ok(Self::Text),
            "verbose_json" => Ok(Self::VerboseJson),
            other => Err(FormatError::field(
                "response_format",
                format!("'{other}' is not supported (use json, text or verbose_json)"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Text => "text",
            Self::VerboseJson => "verbose_json",
        }
    }
}

/// The form fields of a transcription request (the file travels separately).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TranscriptionRequest {
    pub model: String,
    pub language: Option<String>,
    pub prompt: Option<String>,
    pub response_format: ResponseFormat,
    pub temperature: Option<String>,
}

/// A transcript, whatever upstream made it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transcript {
    pub text: String,
    pub language: Option<String>,
    /// Seconds.
    pub duration: Option<f64>,
    pub words: Vec<Word>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    pub word: String,
    /// Seconds.
    pub start: f64,
    pub end: f64,
}

// ---------------------------------------------------------------------------------------------
// OpenAI answers

#[derive(Debug, Serialize)]
struct JsonTranscription<'a> {
    text: &'a str,
}

#[derive(Debug, Serialize)]
struct VerboseTranscription<'a> {
    task: &'static str,
    language: &'a str,
    duration: f64,
    text: &'a str,
    #[serde(skip_serializing_if = "<[Word]>::is_empty")]
    words: &'a [Word],
}

/// The client's answer: its content type and body.
pub fn encode_response(transcript: &Transcript, format: ResponseFormat) -> (&'static str, Vec<u8>) {
    match format {
        ResponseFormat::Json => (
            "application/json",
            to_json(&JsonTranscription {
                text: &transcript.text,
            }),
        ),
        ResponseFormat::Text => (
            "text/plain; charset=utf-8",
            format!("{}\n", transcript.text).into_bytes(),
        ),
        ResponseFormat::VerboseJson => (
            "application/json",
            to_json(&VerboseTranscription {
                task: "transcribe",
                language: transcript.language.as_deref().unwrap_or("unknown"),
                duration: transcript.duration.unwrap_or(0.0),
                text: &transcript.text,
                words: &transcript.words,
            }),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Deepgram

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

// ---------------------------------------------------------------------------------------------
// AssemblyAI

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

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible upstreams

/// A `multipart/form-data` body of `fields` and one `file` part, delimited by `boundary`
/// (which the caller makes unique). Returns the body; its content type is
/// `multipart/form-data; boundary={boundary}`.
pub fn encode_multipart(
    boundary: &str,
    fields: &[(&str, &str)],
    filename: &str,
    content_type: &str,
    file: &[u8],
) -> Vec<u8> {
    let clean = |s: &str| s.replace(['"', '\r', '\n'], "_");
    let mut out = Vec::with_capacity(file.len() + 512);
    for (name, value) in fields {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{value}\r\n",
                clean(name)
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            clean(filename),
            clean(content_type)
        )
        .as_bytes(),
    );
    out.extend_from_slice(file);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn formats_are_detected_by_extension_then_content_type() {
        assert_eq!(
            AudioFormat::detect(Some("a.MP3"), None),
            Some(AudioFormat::Mp3)
        );
        assert_eq!(
            AudioFormat::detect(Some("voice.m4a"), Some("application/octet-stream")),
            Some(AudioFormat::M4a)
        );
        assert_eq!(
            AudioFormat::detect(Some("blob"), Some("audio/x-wav")),
            Some(AudioFormat::Wav)
        );
        assert_eq!(
            AudioFormat::detect(None, Some("audio/webm;codecs=opus")),
            Some(AudioFormat::Webm)
        );
        for ok in ["flac", "ogg", "webm", "wav"] {
            assert!(AudioFormat::detect(Some(&format!("f.{ok}")), None).is_some());
        }
        assert_eq!(
            AudioFormat::detect(Some("notes.txt"), Some("text/plain")),
            None
        );
        assert_eq!(AudioFormat::detect(None, None), None);
    }

    #[test]
    fn response_formats_other_than_json_text_verbose_are_refused() {
        assert_eq!(ResponseFormat::parse("text").unwrap(), ResponseFormat::Text);
        let e = ResponseFormat::parse("srt").unwrap_err();
        assert!(e.to_string().contains("response_format"), "{e}");
    }

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

    #[test]
    fn multipart_body_has_fields_and_file() {
        let body = encode_multipart(
            "B0",
            &[("model", "whisper-1"), ("language", "en")],
            "a.wav",
            "audio/wav",
            b"RIFF",
        );
        let text = String::from_utf8(body).unwrap();
        assert_eq!(
            text,
            "--B0\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n\
             --B0\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n\
             --B0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--B0--\r\n"
        );
    }
}
