//! Transcription: OpenAI's `POST /v1/audio/transcriptions` (multipart in; `json`, `text` or
//! `verbose_json` out), Deepgram's `POST /v1/listen` (raw audio in, `results.channels[].
//! alternatives[]` out) and AssemblyAI's upload → transcript → poll API, with the translation of
//! each answer to OpenAI's shape. OpenAI-compatible upstreams (OpenAI, Groq) get the multipart
//! form rebuilt by `encode_multipart`.

use serde::{Deserialize, Serialize};

use crate::{FormatError, to_json};

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
