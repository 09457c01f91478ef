//! What a request to an upstream looks like for each wire format: the URL built from the base
//! URL (following each API's SDK convention: OpenAI bases end in `/v1`, Anthropic and Gemini
//! bases are the host root), the auth header and the fixed headers.

use omniroute_formats::Format;

use crate::AuthStyle;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRequest {
    pub url: String,
    /// Header name → value; the credential is added by the caller from `auth`.
    pub headers: Vec<(String, String)>,
    pub auth: AuthStyle,
}

/// Why `model` cannot be sent to an upstream of `format`, if it cannot. Gemini puts the model
/// in the URL path (`models/{model}:generateContent`): a `/`, `?`, `#`, `%` or backslash, a dot
/// segment, whitespace or a control character would make the request (carrying the stored
/// key) reach another path of the provider, so such an id is refused; no Gemini model id
/// contains them.
pub fn model_unsendable(format: Format, model: &str) -> Option<String> {
    if format != Format::Gemini {
        return None;
    }
    let bad = model.is_empty()
        || model == "."
        || model == ".."
        || model.chars().any(|c| {
            matches!(c, '/' | '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control()
        });
    bad.then(|| {
        format!(
            "model '{}' cannot be sent to a Gemini upstream: its id goes into the URL path, \
             which allows no '/', '?', '#', '%', '\\', dot segments or spaces",
            model.escape_debug()
        )
    })
}

/// The request line and headers for `model` at `base_url` spoken in `format`.
pub fn upstream_request(
    format: Format,
    base_url: &str,
    model: &str,
    stream: bool,
    auth: AuthStyle,
    extra_headers: &[(String, String)],
) -> UpstreamRequest {
    let base = base_url.trim_end_matches('/');
    let url = match format {
        Format::OpenAiChat => format!("{base}/chat/completions"),
        Format::Responses => format!("{base}/responses"),
        Format::Anthropic => format!("{}/v1/messages", base.trim_end_matches("/v1")),
        Format::Gemini => {
            let root = base.trim_end_matches("/v1beta").trim_end_matches("/v1");
            let action = if stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            format!("{root}/v1beta/models/{model}:{action}")
        }
    };
    let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    if format == Format::Anthropic
        && !extra_headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("anthropic-version"))
    {
        headers.push(("anthropic-version".into(), "2023-06-01".into()));
    }
    if stream {
        headers.push(("accept".into(), "text/event-stream".into()));
    }
    headers.extend(extra_headers.iter().cloned());
    UpstreamRequest { url, headers, auth }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemini_model_ids_stay_one_path_segment() {
        for bad in [
            "../../upload/v1beta/files?x=",
            "gemini/../x",
            "a?b",
            "a#b",
            "a%2Fb",
            "..",
            ".",
            "",
            "a b",
            "a\\b",
            "a\nb",
        ] {
            assert!(model_unsendable(Format::Gemini, bad).is_some(), "{bad:?}");
        }
        for good in [
            "gemini-3-pro-preview",
            "gemini-2.5-flash",
            "models.x",
            "tunedModels-1",
        ] {
            assert_eq!(model_unsendable(Format::Gemini, good), None, "{good}");
        }
        assert_eq!(model_unsendable(Format::OpenAiChat, "org/model"), None);
    }

    #[test]
    fn urls_follow_each_sdk_convention() {
        let r =
            |f, base, stream| upstream_request(f, base, "m-1", stream, AuthStyle::Bearer, &[]).url;
        assert_eq!(
            r(Format::OpenAiChat, "http://h:1/v1/", false),
            "http://h:1/v1/chat/completions"
        );
        assert_eq!(
            r(Format::Responses, "http://h:1/v1", true),
            "http://h:1/v1/responses"
        );
        assert_eq!(
            r(Format::Anthropic, "http://h:1", true),
            "http://h:1/v1/messages"
        );
        assert_eq!(
            r(Format::Anthropic, "http://h:1/v1", true),
            "http://h:1/v1/messages"
        );
        assert_eq!(
            r(Format::Gemini, "http://h:1", false),
            "http://h:1/v1beta/models/m-1:generateContent"
        );
        assert_eq!(
            r(Format::Gemini, "http://h:1/v1beta", true),
            "http://h:1/v1beta/models/m-1:streamGenerateContent?alt=sse"
        );
        let a = upstream_request(
            Format::Anthropic,
            "http://h",
            "m",
            false,
            AuthStyle::XApiKey,
            &[],
        );
        assert!(
            a.headers
                .contains(&("anthropic-version".into(), "2023-06-01".into()))
        );
    }
}
