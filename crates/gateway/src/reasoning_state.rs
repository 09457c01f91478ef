//! The reasoning state of translated answers that their clients cannot carry
//! (`omniroute_formats::turn_state`), kept in memory until the client replays the turn: per
//! caller (an API key, or no key), bounded in bytes (oldest first out) and in age.
//!
//! When a state is gone — older than `REASONING_STATE_TTL`, pushed out by newer ones, or lost
//! with a restart — nothing is made up: the turn goes upstream as the client sent it, and an
//! upstream that needs the state (Gemini 3 for its call signatures) answers with its own error,
//! which the client gets in its format. Claude's thinking is simply switched off for a tool
//! turn without its signed block, as Anthropic allows.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use omniroute_formats::Format;
use omniroute_formats::ir::{Request, Response, StreamEvent};
use omniroute_formats::turn_state::{TurnKey, TurnRecorder, TurnState, restore};

use crate::health::lock;

/// Whose conversation a key belongs to: one caller never gets another's state.
type Scoped = (Arc<str>, TurnKey);

struct Entry {
    state: Arc<TurnState>,
    keys: Vec<Scoped>,
    at_ms: i64,
    weight: usize,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<Scoped, u64>,
    entries: HashMap<u64, Entry>,
    /// Entry ids, oldest first.
    order: VecDeque<u64>,
    next: u64,
    weight: usize,
}

impl Inner {
    fn remove(&mut self, id: u64) {
        if let Some(entry) = self.entries.remove(&id) {
            self.weight -= entry.weight;
            for key in entry.keys {
                if self.keys.get(&key) == Some(&id) {
                    self.keys.remove(&key);
                }
            }
        }
    }

    /// Drops the oldest entries while they are expired or the store is over its bound.
    fn trim(&mut self, now_ms: i64, ttl_ms: i64, max_bytes: usize) {
        while let Some(&id) = self.order.front() {
            let expired = self
                .entries
                .get(&id)
                .is_none_or(|e| now_ms - e.at_ms > ttl_ms);
            if !expired && self.weight <= max_bytes {
                break;
            }
            self.order.pop_front();
            self.remove(id);
        }
    }
}

pub struct ReasoningStore {
    inner: Mutex<Inner>,
    ttl_ms: i64,
    max_bytes: usize,
}

impl ReasoningStore {
    pub fn new(ttl: Duration, max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            ttl_ms: i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX),
            max_bytes,
        }
    }

    /// Keeps `state` for `caller` under each of its keys (a newer state for a key wins).
    pub fn record(&self, caller: &str, state: TurnState, now_ms: i64) {
        let caller: Arc<str> = Arc::from(caller);
        let keys: Vec<Scoped> = state
            .keys()
            .into_iter()
            .map(|k| (caller.clone(), k))
            .collect();
        if keys.is_empty() {
            return;
        }
        let weight = state.weight()
            + keys
                .iter()
                .map(|(c, k)| c.len() + k.weight())
                .sum::<usize>();
        if weight > self.max_bytes {
            return;
        }
        let mut inner = lock(&self.inner);
        let id = inner.next;
        inner.next += 1;
        for key in &keys {
            inner.keys.insert(key.clone(), id);
        }
        inner.entries.insert(
            id,
            Entry {
                state: Arc::new(state),
                keys,
                at_ms: now_ms,
                weight,
            },
        );
        inner.order.push_back(id);
        inner.weight += weight;
        inner.trim(now_ms, self.ttl_ms, self.max_bytes);
    }

    /// Gives the assistant turns of `caller`'s request the state kept for them; returns how
    /// many turns got some back.
    pub fn restore(&self, caller: &str, request: &mut Request, now_ms: i64) -> usize {
        {
            let mut inner = lock(&self.inner);
            inner.trim(now_ms, self.ttl_ms, self.max_bytes);
            if inner.keys.is_empty() {
                return 0;
            }
        }
        // The lock is taken per look-up, not while the request's turns are hashed.
        let caller: Arc<str> = Arc::from(caller);
        restore(request, |key| {
            let inner = lock(&self.inner);
            let id = inner.keys.get(&(caller.clone(), key.clone()))?;
            inner.entries.get(id).map(|e| e.state.clone())
        })
    }

    /// Bytes held now (for tests and the bound's documentation).
    pub fn weight(&self) -> usize {
        lock(&self.inner).weight
    }
}

/// An answer on its way to a client, whose reasoning state is kept once it is complete.
pub struct PendingTurn {
    recorder: TurnRecorder,
    store: Arc<ReasoningStore>,
    caller: String,
}

impl PendingTurn {
    /// `relayed`: the client gets the answer in the upstream's own format and carries its
    /// reasoning itself; only who issued its calls is kept.
    pub fn new(
        store: &Arc<ReasoningStore>,
        caller: &str,
        origin: Format,
        relayed: bool,
        asked: &Request,
    ) -> Self {
        Self {
            recorder: if relayed {
                TurnRecorder::calls_only(origin)
            } else {
                TurnRecorder::new(origin, asked)
            },
            store: store.clone(),
            caller: caller.to_owned(),
        }
    }

    pub fn observe(&mut self, event: &StreamEvent) {
        self.recorder.observe(event);
    }

    pub fn keep_response(mut self, response: &Response) {
        self.recorder.observe_response(response);
        self.keep();
    }

    pub fn keep(self) {
        if let Some(state) = self.recorder.finish() {
            self.store
                .record(&self.caller, state, omniroute_store::now_ms());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omniroute_formats::ir::{Message, Part, Role, ToolCall, ToolKind};

    fn call(id: &str, signature: Option<&str>) -> Part {
        Part::ToolCall(ToolCall {
            id: id.into(),
            name: "f".into(),
            arguments: "{}".into(),
            kind: ToolKind::Function,
            signature: signature.map(str::to_owned),
        })
    }

    fn state(id: &str, signature: &str) -> TurnState {
        let mut recorder = TurnRecorder::new(Format::Gemini, &Request::default());
        recorder.observe_response(&Response {
            parts: vec![call(id, Some(signature))],
            ..Response::default()
        });
        recorder.finish().expect("signed call")
    }

    fn replay(id: &str) -> Request {
        Request {
            messages: vec![Message {
                role: Role::Assistant,
                parts: vec![call(id, None)],
            }],
            ..Request::default()
        }
    }

    fn restored_signature(
        store: &ReasoningStore,
        caller: &str,
        id: &str,
        now: i64,
    ) -> Option<String> {
        let mut request = replay(id);
        store.restore(caller, &mut request, now);
        match &request.messages[0].parts[0] {
            Part::ToolCall(c) => c.signature.clone(),
            _ => None,
        }
    }

    #[test]
    fn state_is_given_back_to_its_caller_only() {
        let store = ReasoningStore::new(Duration::from_secs(60), 1 << 20);
        store.record("key-a", state("c1", "omniroute:gemini:s1"), 0);
        assert_eq!(
            restored_signature(&store, "key-a", "c1", 10).as_deref(),
            Some("omniroute:gemini:s1")
        );
        assert_eq!(restored_signature(&store, "key-b", "c1", 10), None);
        assert_eq!(restored_signature(&store, "key-a", "c2", 10), None);
    }

    #[test]
    fn state_expires() {
        let store = ReasoningStore::new(Duration::from_secs(60), 1 << 20);
        store.record("", state("c1", "omniroute:gemini:s1"), 0);
        assert!(restored_signature(&store, "", "c1", 60_000).is_some());
        assert_eq!(restored_signature(&store, "", "c1", 60_001), None);
        assert_eq!(store.weight(), 0, "expired state is freed");
    }

    #[test]
    fn the_oldest_state_goes_first_when_memory_is_full() {
        let one = state("c0", "omniroute:gemini:s").weight() + 64;
        let store = ReasoningStore::new(Duration::from_secs(60), one * 3);
        for i in 0..10 {
            store.record("", state(&format!("c{i}"), "omniroute:gemini:s"), i);
        }
        assert!(store.weight() <= one * 3);
        assert_eq!(restored_signature(&store, "", "c0", 20), None);
        assert!(restored_signature(&store, "", "c9", 20).is_some());
    }

    #[test]
    fn a_newer_state_for_the_same_call_wins_and_the_older_one_leaves_it_alone() {
        let store = ReasoningStore::new(Duration::from_secs(60), 1 << 20);
        store.record("", state("c1", "omniroute:gemini:old"), 0);
        store.record("", state("c1", "omniroute:gemini:new"), 1);
        assert_eq!(
            restored_signature(&store, "", "c1", 2).as_deref(),
            Some("omniroute:gemini:new")
        );
        // The old entry expiring must not take the new one's key with it.
        let store2 = ReasoningStore::new(Duration::from_millis(10), 1 << 20);
        store2.record("", state("c1", "omniroute:gemini:old"), 0);
        store2.record("", state("c1", "omniroute:gemini:new"), 5);
        assert_eq!(
            restored_signature(&store2, "", "c1", 12).as_deref(),
            Some("omniroute:gemini:new")
        );
    }
}
