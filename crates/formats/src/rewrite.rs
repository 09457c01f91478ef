//! Same-format passthrough bodies: the client's request goes upstream as it was sent (member
//! order, number spelling, fields we do not know) with only the top-level `model` replaced and,
//! for an OpenAI Chat stream, `stream_options.include_usage` set. The body is scanned, never
//! built into a tree: a coding agent's 300 KB context costs one pass and a copy, not thousands of
//! allocations and a re-serialisation.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::{Format, FormatError, parse_json, to_json};

/// The top-level members of a JSON object, each value as the exact text the client sent.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;
        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Members<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(ObjectVisitor)
    }
}

/// Replaces the top-level `model` of a JSON body, keeping every other member as it was
/// (same-format passthrough). Gemini bodies carry no model and are returned unchanged.
pub fn rewrite_model(format: Format, body: &[u8], model: &str) -> Result<Vec<u8>, FormatError> {
    rewrite_for_upstream(format, body, model, false)
}

/// `rewrite_model`, and for an OpenAI Chat stream with `stream_usage` also asks the upstream for
/// its usage chunk (`stream_options.include_usage`), which only OpenAI streams leave out unless
/// asked — accounting needs the tokens whether the client wants the chunk or not.
pub fn rewrite_for_upstream(
    format: Format,
    body: &[u8],
    model: &str,
    stream_usage: bool,
) -> Result<Vec<u8>, FormatError> {
    if format == Format::Gemini {
        return Ok(body.to_vec());
    }
    let Members(members) = parse_json(body)?;
    let usage = stream_usage && format == Format::OpenAiChat;
    let mut out = Vec::with_capacity(body.len() + model.len() + 48);
    out.push(b'{');
    let (mut wrote_model, mut wrote_options) = (false, false);
    for (key, value) in &members {
        match key.as_str() {
            // A repeated member would let the upstream read a model we did not route to.
            "model" if wrote_model => {}
            "model" => {
                wrote_model = true;
                member(&mut out, key, &to_json(&model));
            }
            "stream_options" if usage && wrote_options => {}
            "stream_options" if usage => {
                wrote_options = true;
                member(&mut out, key, &with_usage(value));
            }
            _ => member(&mut out, key, value.get().as_bytes()),
        }
    }
    if !wrote_model {
        member(&mut out, "model", &to_json(&model));
    }
    if usage && !wrote_options {
        member(&mut out, "stream_options", br#"{"include_usage":true}"#);
    }
    out.push(b'}');
    Ok(out)
}

fn member(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    if out.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(&to_json(&key));
    out.push(b':');
    out.extend_from_slice(value);
}

/// The client's `stream_options` with `include_usage: true` (its other options kept).
fn with_usage(options: &RawValue) -> Vec<u8> {
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(options.get()) {
        Ok(mut options) => {
            options.insert("include_usage".into(), serde_json::Value::Bool(true));
            to_json(&options)
        }
        Err(_) => br#"{"include_usage":true}"#.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn rewrite(format: Format, body: &str, usage: bool) -> String {
        let out = rewrite_for_upstream(format, body.as_bytes(), "up/m-2", usage).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn only_the_model_changes_and_everything_else_keeps_its_spelling() {
        let body = r#"{ "temperature" : 1.50, "model":"alias","messages":[{"role":"user","content":"caf\u00e9 \"q\""}],"x_vendor":{"n":1e3,"deep":[true,null]} }"#;
        assert_eq!(
            rewrite(Format::OpenAiChat, body, false),
            r#"{"temperature":1.50,"model":"up/m-2","messages":[{"role":"user","content":"caf\u00e9 \"q\""}],"x_vendor":{"n":1e3,"deep":[true,null]}}"#
        );
    }

    #[test]
    fn a_missing_model_is_added_and_a_repeated_one_is_dropped() {
        assert_eq!(
            rewrite(Format::Anthropic, r#"{"max_tokens":5}"#, false),
            r#"{"max_tokens":5,"model":"up/m-2"}"#
        );
        assert_eq!(
            rewrite(
                Format::Responses,
                r#"{"model":"a","input":"hi","model":"b"}"#,
                false
            ),
            r#"{"model":"up/m-2","input":"hi"}"#
        );
        assert_eq!(
            rewrite(Format::Responses, "{}", false),
            r#"{"model":"up/m-2"}"#
        );
    }

    #[test]
    fn the_new_model_is_escaped() {
        let out = rewrite_for_upstream(Format::OpenAiChat, br#"{"model":"a"}"#, "x\"y\\z", false)
            .unwrap();
        let value: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["model"], "x\"y\\z");
    }

    #[test]
    fn openai_streams_ask_for_usage_keeping_the_clients_other_options() {
        let cases = [
            (
                r#"{"model":"a","stream":true}"#,
                json!({"include_usage": true}),
            ),
            (
                r#"{"model":"a","stream_options":{"include_obfuscation":false}}"#,
                json!({"include_obfuscation": false, "include_usage": true}),
            ),
            (
                r#"{"model":"a","stream_options":{"include_usage":false}}"#,
                json!({"include_usage": true}),
            ),
            (
                r#"{"model":"a","stream_options":null}"#,
                json!({"include_usage": true}),
            ),
        ];
        for (body, expected) in cases {
            let value: Value =
                serde_json::from_str(&rewrite(Format::OpenAiChat, body, true)).unwrap();
            assert_eq!(value["stream_options"], expected, "{body}");
            assert_eq!(value["model"], "up/m-2");
        }
        // Only OpenAI Chat is asked; the flag means nothing to the other formats.
        assert_eq!(
            rewrite(Format::Anthropic, r#"{"model":"a","stream":true}"#, true),
            r#"{"model":"up/m-2","stream":true}"#
        );
    }

    #[test]
    fn gemini_bodies_pass_unchanged() {
        let body = br#"{"contents":[] , "x":1}"#;
        assert_eq!(
            rewrite_for_upstream(Format::Gemini, body, "m", true).unwrap(),
            body.to_vec()
        );
    }

    #[test]
    fn bad_bodies_are_errors_never_panics() {
        for (body, expected) in [
            ("{\"model\":", "malformed JSON"),
            ("{\"model\":\"a\"} trailing", "malformed JSON"),
            ("[1,2]", "expected a JSON object"),
            ("42", "expected a JSON object"),
            ("", "malformed JSON"),
        ] {
            let Err(FormatError::Json(message)) =
                rewrite_for_upstream(Format::OpenAiChat, body.as_bytes(), "m", false)
            else {
                panic!("{body:?} was accepted");
            };
            assert!(message.contains(expected), "{body:?}: {message}");
        }
    }

    #[test]
    fn the_output_is_the_same_json_as_the_input_but_for_the_model() {
        let body = json!({
            "model": "a", "stream": false, "n": 2, "stop": ["\n", "\u{2028}"],
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
            "metadata": {"k": "v"}, "logit_bias": {"50256": -100}
        });
        let out = rewrite(Format::OpenAiChat, &body.to_string(), false);
        let mut expected = body;
        expected["model"] = json!("up/m-2");
        assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), expected);
    }
}
