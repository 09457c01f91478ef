//! Request shaping: the operator's rules applied to a decoded request before it goes upstream —
//! a system prompt prefix and suffix, and a thinking budget policy. It lives next to the IR
//! because it is a pure edit of `ir::Request` that every target format then encodes its own way
//! (a budget becomes Anthropic `thinking.budget_tokens` and Gemini `thinkingBudget`, and OpenAI
//! Chat `reasoning_effort` / Responses `reasoning.effort` are derived from it): one rule here
//! instead of one per wire format, and no I/O, so every case is a unit test.
//!
//! Decisions:
//! - the prefix becomes the first system instruction and the suffix the last; a blank string
//!   adds nothing;
//! - `Fixed` and `ByEffort` change only requests that ask for reasoning. Nothing says whether
//!   an upstream model can think, and reasoning parameters sent to one that cannot are a 400
//!   (OpenAI rejects `reasoning_effort` on non-reasoning models), so thinking is never forced on;
//!   a request that turned reasoning off (effort `none`) stays off;
//! - a budget does not eat into the answer: when the client's output limit is not above the
//!   budget, the limit is raised by the budget (Anthropic requires `budget_tokens < max_tokens`
//!   and counts thinking in `max_tokens`, as Gemini and OpenAI count it in theirs), rather than
//!   the configured budget being cut down to what the limit leaves;
//! - `Strip` removes the reasoning controls and the thinking parts of the history (text and
//!   redacted). Without thinking enabled no upstream needs them, and dropping them keeps a
//!   request valid wherever signed history cannot be verified. Signatures on tool calls
//!   (Gemini `thoughtSignature`) stay: Gemini requires them on the calls of the current turn.

use serde::{Deserialize, Serialize};

use crate::ir::{Effort, Part, Reasoning, Request};

/// What happens to a request's reasoning controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThinkingPolicy {
    /// The client's controls go upstream as sent.
    #[default]
    Passthrough,
    /// No reasoning controls and no thinking history go upstream.
    Strip,
    /// Every request that asks for reasoning gets this budget (0: like `Strip`).
    Fixed(u32),
    /// The request's effort picks the budget from this table.
    ByEffort(EffortBudgets),
}

/// Thinking budget (tokens) for each reasoning effort, for `ThinkingPolicy::ByEffort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default, deny_unknown_fields)]
pub struct EffortBudgets {
    /// Also used for `minimal` (Anthropic's smallest budget is 1024).
    pub low: u32,
    pub medium: u32,
    pub high: u32,
}

impl Default for EffortBudgets {
    fn default() -> Self {
        Self {
            low: 1024,
            medium: 8192,
            high: 24_576,
        }
    }
}

impl EffortBudgets {
    pub fn budget(&self, effort: Effort) -> u32 {
        match effort {
            Effort::None => 0,
            Effort::Minimal | Effort::Low => self.low,
            Effort::Medium => self.medium,
            Effort::High => self.high,
        }
    }
}

/// The rules for one request (the gateway picks the combo's prompt or the global one).
#[derive(Debug, Clone, Copy, Default)]
pub struct Shaping<'a> {
    pub system_prefix: &'a str,
    pub system_suffix: &'a str,
    pub thinking: ThinkingPolicy,
}

impl Shaping<'_> {
    /// True when no request can be changed: the caller may skip `apply` entirely.
    pub fn is_noop(&self) -> bool {
        self.system_prefix.trim().is_empty()
            && self.system_suffix.trim().is_empty()
            && self.thinking == ThinkingPolicy::Passthrough
    }
}

/// Applies `shaping` to `request`; returns whether anything changed (a request forwarded
/// byte for byte must then be re-encoded from the IR).
pub fn apply(request: &mut Request, shaping: &Shaping<'_>) -> bool {
    let mut changed = false;
    if !shaping.system_prefix.trim().is_empty() {
        request.system.insert(0, shaping.system_prefix.to_owned());
        changed = true;
    }
    if !shaping.system_suffix.trim().is_empty() {
        request.system.push(shaping.system_suffix.to_owned());
        changed = true;
    }
    changed |= match shaping.thinking {
        ThinkingPolicy::Passthrough => false,
        ThinkingPolicy::Strip | ThinkingPolicy::Fixed(0) => strip(request),
        // The operator's budget decides, so formats that speak effort derive it from the budget.
        ThinkingPolicy::Fixed(budget) => set_budget(request, |_| (budget, None)),
        // The client's effort decides, and goes on as sent to formats that speak effort.
        ThinkingPolicy::ByEffort(table) => {
            set_budget(request, |effort| (table.budget(effort), Some(effort)))
        }
    };
    changed
}

fn strip(request: &mut Request) -> bool {
    let mut changed = request.reasoning.take().is_some();
    for message in &mut request.messages {
        let before = message.parts.len();
        message
            .parts
            .retain(|p| !matches!(p, Part::Thinking { .. } | Part::RedactedThinking { .. }));
        changed |= message.parts.len() != before;
    }
    // A turn that was only thinking is now empty, which some formats reject.
    request.messages.retain(|m| !m.parts.is_empty());
    changed
}

/// Sets the budget (and effort) of a request that asks for reasoning to `rule(its effort)`.
fn set_budget(request: &mut Request, rule: impl Fn(Effort) -> (u32, Option<Effort>)) -> bool {
    let Some(reasoning) = request.reasoning else {
        return false;
    };
    let effort = reasoning.effort();
    if effort == Effort::None {
        return false;
    }
    let (budget, effort) = rule(effort);
    if budget == 0 {
        return strip(request);
    }
    let shaped = Reasoning {
        effort,
        budget_tokens: Some(budget),
        include_thoughts: reasoning.include_thoughts,
    };
    let mut changed = shaped != reasoning;
    request.reasoning = Some(shaped);
    if let Some(max) = request.max_output_tokens.filter(|&max| max <= budget) {
        request.max_output_tokens = Some(max.saturating_add(budget));
        changed = true;
    }
    changed
}

#[cfg(test)]
#[path = "shaping_tests.rs"]
mod tests;
