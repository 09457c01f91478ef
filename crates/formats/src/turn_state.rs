//! The reasoning state of an answer that a client cannot carry, kept so it can be put back
//! when the client replays the turn. An OpenAI Chat client has no field for Claude's signed
//! thinking or Gemini's call signatures; an Anthropic or Responses client none for a Gemini
//! call signature; only Anthropic clients keep `redacted_thinking`. Each of them echoes what
//! identifies the turn: the ids of its tool calls, else its text.
//!
//! `TurnRecorder` distils a translated answer (whole or streamed) into a `TurnState` under
//! those keys; the gateway keeps it, bounded in memory and time; `restore` puts it back into
//! a later request's assistant turn before the request is encoded for any upstream.
//! Signatures stay tagged with their origin (`provenance`), so a restored state still reaches
//! only the family that issued it. Pure: the store and the clock are the caller's.

use std::sync::Arc;

use xxhash_rust::xxh3::Xxh3;

use crate::Format;
use crate::ir::{Message, Part, Request, Response, Role, StreamEvent};
use crate::provenance;

/// What a client echoes of a turn: one of its tool call ids, or (for a turn without calls) a
/// hash of its text and of the message it answered (so a stock reply such as "Done." in another
/// conversation does not match), whitespace removed, as clients re-join text parts their own
/// way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TurnKey {
    Call(String),
    Text(u128),
}

impl TurnKey {
    /// Bytes the key holds, for the store's memory bound.
    pub fn weight(&self) -> usize {
        match self {
            Self::Call(id) => id.len() + 24,
            Self::Text(_) => 16,
        }
    }
}

/// The reasoning state of one assistant turn, signatures tagged with their origin.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnState {
    /// The upstream family that answered.
    pub origin: Format,
    /// Thinking (with signatures) and redacted thinking, in order, byte for byte.
    reasoning: Vec<Part>,
    /// Every call's id and, when it had one, its signature.
    calls: Vec<(String, Option<String>)>,
    text: Option<u128>,
}

impl TurnState {
    /// The keys the turn is found under: its call ids, else its text.
    pub fn keys(&self) -> Vec<TurnKey> {
        if self.calls.is_empty() {
            return self.text.map(TurnKey::Text).into_iter().collect();
        }
        self.calls
            .iter()
            .map(|(id, _)| TurnKey::Call(id.clone()))
            .collect()
    }

    /// Approximate bytes held, for the store's memory bound.
    pub fn weight(&self) -> usize {
        let reasoning: usize = self
            .reasoning
            .iter()
            .map(|p| match p {
                Part::Thinking { text, signature } => {
                    text.len() + signature.as_ref().map_or(0, String::len)
                }
                Part::RedactedThinking { data } => data.len(),
                _ => 0,
            })
            .sum();
        let calls: usize = self
            .calls
            .iter()
            .map(|(id, sig)| id.len() + sig.as_ref().map_or(0, String::len))
            .sum();
        96 + reasoning + calls
    }
}

/// The hash of a turn's text, whitespace removed (so the split into parts and deltas does not
/// matter).
struct TextHash {
    hasher: Xxh3,
    any: bool,
}

impl TextHash {
    /// A hash of a turn's text that starts from the message the turn answered.
    fn answering(asked: Option<&Message>) -> Self {
        let mut hasher = Xxh3::new();
        for part in asked.map_or(&[][..], |m| m.parts.as_slice()) {
            let text = match part {
                Part::Text(text) => text.clone(),
                Part::ToolResult(result) => result.text(),
                _ => continue,
            };
            for word in text.split_whitespace() {
                hasher.update(word.as_bytes());
            }
        }
        // Nothing a word can contain: the answer's text starts here.
        hasher.update(b"\0");
        Self { hasher, any: false }
    }

    fn add(&mut self, text: &str) {
        for word in text.split_whitespace() {
            self.hasher.update(word.as_bytes());
            self.any = true;
        }
    }

    fn finish(&self) -> Option<u128> {
        self.any.then(|| self.hasher.digest128())
    }
}

/// Distils an upstream's answer into its `TurnState`, part by part or event by event.
pub struct TurnRecorder {
    origin: Format,
    /// Only which family issued the calls (a relayed answer the client carries whole).
    calls_only: bool,
    reasoning: Vec<Part>,
    calls: Vec<(String, Option<String>)>,
    text: TextHash,
}

impl TurnRecorder {
    /// A recorder for an answer from `origin` to `asked`, which the client gets translated.
    pub fn new(origin: Format, asked: &Request) -> Self {
        Self {
            origin,
            calls_only: false,
            reasoning: Vec::new(),
            calls: Vec::new(),
            text: TextHash::answering(asked.messages.last()),
        }
    }

    /// A recorder for an answer relayed in its own format: the client carries its reasoning,
    /// and only the origin of its calls is worth knowing (for a later turn sent to Gemini).
    pub fn calls_only(origin: Format) -> Self {
        Self {
            calls_only: true,
            ..Self::new(origin, &Request::default())
        }
    }

    fn text(&mut self, text: &str) {
        if !self.calls_only {
            self.text.add(text);
        }
    }

    fn thinking(&mut self, text: &str) {
        if self.calls_only {
            return;
        }
        match self.reasoning.last_mut() {
            Some(Part::Thinking {
                text: existing,
                signature: None,
            }) => existing.push_str(text),
            _ => self.reasoning.push(Part::Thinking {
                text: text.to_owned(),
                signature: None,
            }),
        }
    }

    fn signature(&mut self, signature: &str) {
        if self.calls_only {
            return;
        }
        match self.reasoning.last_mut() {
            Some(Part::Thinking {
                signature: slot @ None,
                ..
            }) => *slot = Some(signature.to_owned()),
            _ => self.reasoning.push(Part::Thinking {
                text: String::new(),
                signature: Some(signature.to_owned()),
            }),
        }
    }

    fn call(&mut self, id: &str, signature: Option<&String>) {
        let signature = signature.filter(|_| !self.calls_only).cloned();
        self.calls.push((id.to_owned(), signature));
    }

    pub fn observe(&mut self, event: &StreamEvent) {
        match event {
            StreamEvent::TextDelta(text) => self.text(text),
            StreamEvent::ThinkingDelta(text) => self.thinking(text),
            StreamEvent::ThinkingSignature(signature) => self.signature(signature),
            StreamEvent::RedactedThinking(data) if !self.calls_only => {
                self.reasoning
                    .push(Part::RedactedThinking { data: data.clone() });
            }
            StreamEvent::ToolCallStart { id, signature, .. } => self.call(id, signature.as_ref()),
            _ => {}
        }
    }

    pub fn observe_response(&mut self, response: &Response) {
        for part in &response.parts {
            match part {
                Part::Text(text) => self.text(text),
                Part::Thinking { text, signature } => {
                    self.thinking(text);
                    if let Some(signature) = signature {
                        self.signature(signature);
                    }
                }
                Part::RedactedThinking { data } if !self.calls_only => {
                    self.reasoning
                        .push(Part::RedactedThinking { data: data.clone() });
                }
                Part::ToolCall(call) => self.call(&call.id, call.signature.as_ref()),
                _ => {}
            }
        }
    }

    /// The state worth keeping, if any: reasoning or signed calls to give back, or calls a
    /// family other than Gemini issued (Gemini must be told they are foreign).
    pub fn finish(mut self) -> Option<TurnState> {
        // Unsigned thinking cannot be replayed anywhere.
        self.reasoning.retain(|p| {
            !matches!(
                p,
                Part::Thinking {
                    signature: None,
                    ..
                }
            )
        });
        let worth = !self.reasoning.is_empty()
            || self.calls.iter().any(|(_, sig)| sig.is_some())
            || (self.origin != Format::Gemini && !self.calls.is_empty());
        worth.then(|| TurnState {
            origin: self.origin,
            reasoning: self.reasoning,
            calls: self.calls,
            text: self.text.finish(),
        })
    }
}

/// The keys of an assistant turn as a client replays it, after the message `asked`.
fn keys_of(parts: &[Part], asked: Option<&Message>) -> Vec<TurnKey> {
    let calls: Vec<TurnKey> = parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolCall(call) => Some(TurnKey::Call(call.id.clone())),
            _ => None,
        })
        .collect();
    if !calls.is_empty() {
        return calls;
    }
    let mut text = TextHash::answering(asked);
    for part in parts {
        if let Part::Text(t) = part {
            text.add(t);
        }
    }
    text.finish().map(TurnKey::Text).into_iter().collect()
}

fn same_reasoning(a: &Part, b: &Part) -> bool {
    match (a, b) {
        (
            Part::Thinking {
                signature: Some(x), ..
            },
            Part::Thinking {
                signature: Some(y), ..
            },
        ) => x == y,
        (Part::RedactedThinking { data: x }, Part::RedactedThinking { data: y }) => x == y,
        _ => false,
    }
}

/// Puts `state` back into an assistant turn: its reasoning first, as issued (replacing the
/// client's copy of it, whose text may have been trimmed, and reasoning the client kept without
/// a signature), and each call's signature — or, for calls another family issued, the mark
/// that tells Gemini so.
fn apply(parts: &mut Vec<Part>, state: &TurnState) {
    if !state.reasoning.is_empty() {
        parts.retain(|p| {
            !matches!(
                p,
                Part::Thinking {
                    signature: None,
                    ..
                }
            )
        });
        let mut cursor = 0;
        for stored in &state.reasoning {
            match parts.iter().position(|p| same_reasoning(p, stored)) {
                Some(i) => {
                    parts[i] = stored.clone();
                    cursor = i + 1;
                }
                None => {
                    parts.insert(cursor.min(parts.len()), stored.clone());
                    cursor += 1;
                }
            }
        }
    }
    for part in parts.iter_mut() {
        let Part::ToolCall(call) = part else { continue };
        if call.signature.is_some() {
            continue;
        }
        if let Some((_, signature)) = state.calls.iter().find(|(id, _)| *id == call.id) {
            call.signature = signature.clone().or_else(|| {
                (state.origin != Format::Gemini).then(|| provenance::issued_by(state.origin))
            });
        }
    }
}

/// Restores the reasoning state `lookup` knows for each assistant turn of `request` (a
/// request already decoded and tagged). Returns how many turns got state back.
pub fn restore(
    request: &mut Request,
    mut lookup: impl FnMut(&TurnKey) -> Option<Arc<TurnState>>,
) -> usize {
    let mut restored = 0;
    for i in 0..request.messages.len() {
        let (before, rest) = request.messages.split_at_mut(i);
        let Some(message) = rest.first_mut() else {
            break;
        };
        if message.role != Role::Assistant {
            continue;
        }
        let mut states: Vec<Arc<TurnState>> = Vec::new();
        for key in keys_of(&message.parts, before.last()) {
            if let Some(state) = lookup(&key) {
                if !states.iter().any(|s| Arc::ptr_eq(s, &state)) {
                    states.push(state);
                }
            }
        }
        for state in &states {
            apply(&mut message.parts, state);
        }
        restored += usize::from(!states.is_empty());
    }
    restored
}

#[cfg(test)]
#[path = "turn_state_tests.rs"]
mod tests;
