//! The AI settings applied to a request on the request path: the combo's own system prompts
//! (or the global ones) and the thinking mode, through `omniroute_formats::shaping`.
//!
//! A same-format target is sent the client's body byte for byte with only `model` rewritten
//! (`forward::attempt`). When shaping changed the request, that body is replaced here by the
//! shaped request encoded in the client's format, so the same rewrite sends the shaped request
//! (unknown fields of the original are lost, as they are across formats) while the answer is
//! still relayed untouched. With nothing configured, nothing is touched.

use axum::body::Bytes;
use omniroute_formats::Format;
use omniroute_formats::ir::Request;
use omniroute_formats::shaping::{self, Shaping, ThinkingPolicy};
use serde_json::Value;

use super::forward::Inbound;
use crate::settings::{AiSettings, ThinkingMode};

/// The rules for a request to `combo` (or to a model directly, `None`).
pub fn rules<'a>(ai: &'a AiSettings, combo: Option<&str>) -> Shaping<'a> {
    let (system_prefix, system_suffix) = match combo.and_then(|c| ai.combo_system_prompts.get(c)) {
        Some(own) => (own.prefix.as_str(), own.suffix.as_str()),
        None => (
            ai.system_prompt_prefix.as_str(),
            ai.system_prompt_suffix.as_str(),
        ),
    };
    let thinking = match (ai.thinking_mode, ai.thinking_budget) {
        (ThinkingMode::Passthrough, _) | (ThinkingMode::Fixed, None) => ThinkingPolicy::Passthrough,
        (ThinkingMode::Strip, _) => ThinkingPolicy::Strip,
        (ThinkingMode::Fixed, Some(budget)) => ThinkingPolicy::Fixed(budget),
        (ThinkingMode::Effort, _) => ThinkingPolicy::ByEffort(ai.effort_budgets),
    };
    Shaping {
        system_prefix,
        system_suffix,
        thinking,
    }
}

/// The request and inbound body as shaped for `combo`, or `None` when the settings leave the
/// request as it is (then nothing is copied).
pub fn shaped<'a>(
    ai: &AiSettings,
    combo: Option<&str>,
    inbound: &Inbound<'a>,
    request: &Request,
) -> Option<(Inbound<'a>, Request)> {
    let rules = rules(ai, combo);
    if rules.is_noop() {
        return None;
    }
    let mut request = request.clone();
    if !shaping::apply(&mut request, &rules) {
        return None;
    }
    let inbound = Inbound {
        format: inbound.format,
        hint: inbound.hint,
        gemini_sse: inbound.gemini_sse,
        headers: inbound.headers,
        body: client_body(inbound.format, &request),
        caller: inbound.caller.clone(),
        // The body is re-encoded from the IR: what the IR could not hold is not in it, so the
        // request is checked like a translated one (`forward::uncarriable`).
        relayable: inbound.relayable && request.untranslatable.is_empty(),
    };
    Some((inbound, request))
}

/// The shaped request in the client's own format, asking for no more than the client did.
fn client_body(format: Format, request: &Request) -> Bytes {
    let body = omniroute_formats::encode_request(format, request);
    // The encoder asks every OpenAI stream for usage (accounting needs it when translating), but
    // this answer is relayed as is: a usage chunk the client did not ask for must not appear.
    if format == Format::OpenAiChat && request.stream && !request.include_usage {
        if let Ok(mut map) = serde_json::from_slice::<serde_json::Map<String, Value>>(&body) {
            map.remove("stream_options");
            if let Ok(bytes) = serde_json::to_vec(&map) {
                return Bytes::from(bytes);
            }
        }
    }
    Bytes::from(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ComboPrompt;

    #[test]
    fn a_listed_combo_uses_its_own_prompts_and_others_the_global_ones() {
        let mut ai = AiSettings {
            system_prompt_prefix: "global prefix".into(),
            system_prompt_suffix: "global suffix".into(),
            ..AiSettings::default()
        };
        ai.combo_system_prompts.insert(
            "team".into(),
            ComboPrompt {
                prefix: "team prefix".into(),
                suffix: String::new(),
            },
        );
        let team = rules(&ai, Some("team"));
        assert_eq!(
            (team.system_prefix, team.system_suffix),
            ("team prefix", "")
        );
        let other = rules(&ai, Some("other"));
        assert_eq!(other.system_prefix, "global prefix");
        let direct = rules(&ai, None);
        assert_eq!(direct.system_suffix, "global suffix");
    }

    #[test]
    fn thinking_modes_map_to_policies() {
        let with = |thinking_mode, thinking_budget| {
            rules(
                &AiSettings {
                    thinking_mode,
                    thinking_budget,
                    ..AiSettings::default()
                },
                None,
            )
            .thinking
        };
        assert_eq!(
            with(ThinkingMode::Passthrough, Some(5)),
            ThinkingPolicy::Passthrough
        );
        assert_eq!(with(ThinkingMode::Strip, None), ThinkingPolicy::Strip);
        assert_eq!(
            with(ThinkingMode::Fixed, Some(4096)),
            ThinkingPolicy::Fixed(4096)
        );
        assert_eq!(with(ThinkingMode::Fixed, None), ThinkingPolicy::Passthrough);
        assert_eq!(
            with(ThinkingMode::Effort, None),
            ThinkingPolicy::ByEffort(Default::default())
        );
        assert!(rules(&AiSettings::default(), Some("any")).is_noop());
    }
}
