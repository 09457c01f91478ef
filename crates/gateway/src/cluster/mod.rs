//! Live state shared by several gateways through Redis (`REDIS_URL`): rests and breakers,
//! budget spend and configuration changes travel as events on one channel; requests in flight
//! and per-minute windows per account, idempotent answers and the response cache live in
//! Redis keys, changed atomically (Lua, `SET NX`). Nothing on the request path waits for
//! Redis beyond one short call, and when Redis is away every operation falls back to this
//! instance's own state (`/api/health` and `/metrics` say so) and catches up when it returns.

pub mod events;
mod follow;
pub mod link;
pub mod resp;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use omniroute_routing::ratelimit::Limits;
use serde::Serialize;
use tokio::sync::mpsc;

use events::Envelope;
pub use events::Event;
pub use follow::follow;
use link::{Link, LinkError, Target};
use resp::Reply;

/// The channel every instance publishes its events on and listens to. Redis's channels are
/// server-wide, not per database: the database number keeps deployments that share a server
/// on different databases apart.
pub fn channel(target: &Target) -> String {
    format!("omniroute:events:{}", target.db)
}
/// Keys of rests and open breakers, read by an instance that (re)joins.
const REST_PREFIX: &str = "omniroute:rest:";
/// How long a request may hold its place in flight before the lease lapses (an instance that
/// died while holding it).
const LEASE_MS: u64 = 10 * 60 * 1000;
/// How long an idempotent request may run before another instance stops waiting for it.
const CLAIM_MS: u64 = 120_000;
/// How long an answer is replayed (as `replay::idempotency::WINDOW`).
const ANSWER_MS: u64 = 5_000;

/// Admits a request on an account shared by every instance: its leases in flight (a sorted
/// set scored by expiry) and its starts in the last minute (scored by time), on Redis's clock.
/// Returns 0 when admitted, -1 when the account is at its limit in flight, else the wait in ms.
const ADMIT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local max_in_flight = tonumber(ARGV[1])
if max_in_flight > 0 and redis.call('ZCARD', KEYS[1]) >= max_in_flight then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
local rpm = tonumber(ARGV[2])
if rpm > 0 and redis.call('ZCARD', KEYS[2]) >= rpm then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + 60000 - now)
end
local gap = tonumber(ARGV[3])
if gap > 0 then
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  if last[2] and now - tonumber(last[2]) < gap then return gap - (now - tonumber(last[2])) end
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]), ARGV[4])
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], 60000)
return 0
";

/// Deletes a key only while it still holds the value given (our claim, not an answer).
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// What the shared admission decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The account is at its limit in flight across instances.
    Busy,
    /// Its per-minute window or gap says wait this long (ms).
    Wait(u64),
    /// Redis is away: this instance's own limiter decides.
    Local,
}

/// What claiming an idempotency key across instances found.
pub enum Claim {
    /// Nobody else runs it: run it and remember the answer.
    Mine,
    /// Another instance answered it: send this (`Captured::encode`'s bytes).
    Answer(Vec<u8>),
    /// Redis is away: this instance's own table decides.
    Local,
}

/// Work for the background writer: nothing on the request path waits for it.
enum Write {
    Publish(Event),
    Set {
        key: String,
        value: Vec<u8>,
        ms: u64,
    },
    Release {
        key: String,
        value: String,
    },
    Lease {
        connection: String,
        lease: String,
    },
}

/// Shared state through Redis, or nothing at all when `REDIS_URL` is unset.
pub struct Cluster {
    instance: String,
    link: Option<(Link, Target)>,
    writes: Option<mpsc::UnboundedSender<Write>>,
    /// Operations that used local state because Redis was away.
    fallbacks: AtomicU64,
    /// Whether this instance hears the others' events right now.
    following: AtomicBool,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("instance", &self.instance)
            .field("target", &self.target())
            .finish_non_exhaustive()
    }
}

/// What `/api/health` shows.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ClusterStatus {
    /// Whether `REDIS_URL` is set.
    pub configured: bool,
    /// `shared` (Redis answers), `local` (Redis away: this instance's own state) or `off`.
    pub state: &'static str,
    pub instance: String,
    pub last_error: Option<String>,
    #[ts(type = "number")]
    pub fallbacks: u64,
}

impl Cluster {
    /// A single instance: every operation is local.
    pub fn off() -> Self {
        Self {
            instance: omniroute_store::new_id(),
            link: None,
            writes: None,
            fallbacks: AtomicU64::new(0),
            following: AtomicBool::new(false),
        }
    }

    /// Connects to `url` in the background (a bad URL is a start-up error).
    pub fn start(url: &str) -> Result<Self, String> {
        let target = Target::parse(url).map_err(|e| format!("REDIS_URL {e}"))?;
        let events = channel(&target);
        let link = Link::start(target.clone());
        let (tx, rx) = mpsc::unbounded_channel();
        let cluster = Self {
            instance: omniroute_store::new_id(),
            link: Some((link.clone(), target)),
            writes: Some(tx),
            fallbacks: AtomicU64::new(0),
            following: AtomicBool::new(false),
        };
        let instance = cluster.instance.clone();
        #[allow(clippy::disallowed_methods, reason = "the cluster's background writer")]
        tokio::spawn(write_behind(link, instance, events, rx));
        Ok(cluster)
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    fn link(&self) -> Option<&Link> {
        self.link.as_ref().map(|(l, _)| l)
    }

    pub(crate) fn target(&self) -> Option<&Target> {
        self.link.as_ref().map(|(_, t)| t)
    }

    /// Whether live state is shared right now: commands reach Redis.
    pub fn is_shared(&self) -> bool {
        self.link().is_some_and(Link::is_up)
    }

    pub(crate) fn set_following(&self, following: bool) {
        self.following.store(following, Ordering::Release);
    }

    fn fell_back(&self) {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
    }

    pub fn status(&self) -> ClusterStatus {
        let (state, last_error) = match self.link() {
            None => ("off", None),
            Some(link) if link.is_up() && self.following.load(Ordering::Acquire) => {
                ("shared", None)
            }
            Some(link) => ("local", link.last_error()),
        };
        ClusterStatus {
            configured: self.link.is_some(),
            state,
            instance: self.instance.clone(),
            last_error,
            fallbacks: self.fallbacks.load(Ordering::Relaxed),
        }
    }

    /// Tells the other instances; rests and breakers are also kept for those joining later.
    pub fn announce(&self, event: Event) {
        let Some(writes) = &self.writes else { return };
        if !self.is_shared() {
            self.fell_back();
            return;
        }
        let kept = match &event {
            Event::Rest {
                connection,
                model,
                ms,
                ..
            } => Some((
                format!(
                    "{REST_PREFIX}{connection}|{}",
                    model.as_deref().unwrap_or("")
                ),
                *ms,
            )),
            Event::BreakerOpen { provider, ms } => {
                Some((format!("{REST_PREFIX}breaker|{provider}"), *ms))
            }
            _ => None,
        };
        if let Some((key, ms)) = kept {
            let until = omniroute_store::now_ms().saturating_add(i64::try_from(ms).unwrap_or(0));
            if let Ok(value) = serde_json::to_vec(&(until, &event)) {
                let _ = writes.send(Write::Set { key, value, ms });
            }
        }
        let _ = writes.send(Write::Publish(event));
    }

    /// The shared admission of a request on `connection` under `limits`, holding `lease`.
    pub async fn admit(&self, connection: &str, limits: &Limits, lease: &str) -> Admission {
        let Some(link) = self.link() else {
            return Admission::Local;
        };
        if limits.max_concurrent == 0 && limits.requests_per_minute == 0 && limits.min_gap_ms == 0 {
            return Admission::Admitted;
        }
        let (flight, starts) = admission_keys(connection);
        let args = [
            limits.max_concurrent.to_string(),
            limits.requests_per_minute.to_string(),
            limits.min_gap_ms.to_string(),
            lease.to_owned(),
            LEASE_MS.to_string(),
        ];
        let mut call: Vec<&[u8]> = vec![
            b"EVAL",
            ADMIT.as_bytes(),
            b"2",
            flight.as_bytes(),
            starts.as_bytes(),
        ];
        call.extend(args.iter().map(|a| a.as_bytes()));
        match link.call(&call).await {
            Ok(Reply::Int(0)) => Admission::Admitted,
            Ok(Reply::Int(-1)) => Admission::Busy,
            Ok(Reply::Int(ms)) if ms > 0 => Admission::Wait(ms.unsigned_abs()),
            Ok(other) => {
                tracing::warn!(reply = ?other, "unexpected reply to the shared admission");
                self.fell_back();
                Admission::Local
            }
            Err(e) => {
                self.failed(&e);
                Admission::Local
            }
        }
    }

    /// Gives back a place `admit` gave.
    pub fn release(&self, connection: &str, lease: String) {
        if let Some(writes) = &self.writes {
            let _ = writes.send(Write::Lease {
                connection: connection.to_owned(),
                lease,
            });
        }
    }

    /// Claims an idempotency key for this instance, waiting (polling) while another one runs
    /// it.
    pub async fn claim(&self, key: &str) -> Claim {
        let Some(link) = self.link() else {
            return Claim::Local;
        };
        let redis_key = idempotency_key(key);
        let mine = self.claim_value();
        let ms = CLAIM_MS.to_string();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(CLAIM_MS);
        loop {
            let set = link
                .call(&[
                    b"SET",
                    redis_key.as_bytes(),
                    mine.as_bytes(),
                    b"NX",
                    b"PX",
                    ms.as_bytes(),
                ])
                .await;
            match set {
                Ok(Reply::Simple(_)) => return Claim::Mine,
                Ok(_) => {}
                Err(e) => {
                    self.failed(&e);
                    return Claim::Local;
                }
            }
            match link.call(&[b"GET", redis_key.as_bytes()]).await {
                Ok(Reply::Bulk(Some(value))) => {
                    if let Some(answer) = value.strip_prefix(b"A") {
                        return Claim::Answer(answer.to_vec());
                    }
                }
                // Gone between SET and GET (the other gave up): claim again at once.
                Ok(_) => continue,
                Err(e) => {
                    self.failed(&e);
                    return Claim::Local;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Claim::Mine;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    fn claim_value(&self) -> String {
        format!("R{}", self.instance)
    }

    /// Keeps an idempotent answer (`Captured::encode`'s bytes) for the other instances
    /// (`ANSWER_MS`).
    pub fn remember(&self, key: &str, answer: &[u8]) {
        if let Some(writes) = &self.writes {
            let mut value = b"A".to_vec();
            value.extend_from_slice(answer);
            let _ = writes.send(Write::Set {
                key: idempotency_key(key),
                value,
                ms: ANSWER_MS,
            });
        }
    }

    /// Gives a claim up without an answer, so another instance may run the request.
    pub fn unclaim(&self, key: &str) {
        if let Some(writes) = &self.writes {
            let _ = writes.send(Write::Release {
                key: idempotency_key(key),
                value: self.claim_value(),
            });
        }
    }

    /// A cached answer another instance stored (`Captured::encode`'s bytes).
    pub async fn cached(&self, key: u128) -> Option<Vec<u8>> {
        let link = self.link()?;
        match link.call(&[b"GET", cache_key(key).as_bytes()]).await {
            Ok(Reply::Bulk(Some(value))) => Some(value),
            Ok(_) => None,
            Err(e) => {
                self.failed(&e);
                None
            }
        }
    }

    /// Shares a cached answer (`Captured::encode`'s bytes) for `ttl`.
    pub fn cache(&self, key: u128, answer: Vec<u8>, ttl: Duration) {
        if let Some(writes) = &self.writes {
            let _ = writes.send(Write::Set {
                key: cache_key(key),
                value: answer,
                ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1),
            });
        }
    }

    fn failed(&self, e: &LinkError) {
        self.fell_back();
        tracing::debug!(error = %e, "Redis call failed; using this instance's own state");
    }
}

fn admission_keys(connection: &str) -> (String, String) {
    (
        format!("omniroute:inflight:{connection}"),
        format!("omniroute:starts:{connection}"),
    )
}

fn idempotency_key(key: &str) -> String {
    format!(
        "omniroute:idem:{:032x}",
        xxhash_rust::xxh3::xxh3_128(key.as_bytes())
    )
}

fn cache_key(key: u128) -> String {
    format!("omniroute:cache:{key:032x}")
}

/// Writes queued at once without waiting for each reply (they are independent): one round trip
/// each would cap them at a few thousand per second.
const WRITES_IN_FLIGHT: usize = 64;

/// Sends queued writes, in order, up to `WRITES_IN_FLIGHT` awaiting their replies; while Redis
/// is away they are dropped (what they carried is caught up from the database and the others'
/// state when it returns).
async fn write_behind(
    link: Link,
    instance: String,
    channel: String,
    writes: mpsc::UnboundedReceiver<Write>,
) {
    use futures_util::StreamExt;
    let queued = futures_util::stream::unfold(writes, |mut rx| async move {
        rx.recv().await.map(|write| (write, rx))
    });
    queued
        .map(|write| send(&link, &instance, &channel, write))
        .buffered(WRITES_IN_FLIGHT)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!(error = %e, "a shared-state write was dropped");
            }
        })
        .await;
}

async fn send(
    link: &Link,
    instance: &str,
    channel: &str,
    write: Write,
) -> Result<Reply, LinkError> {
    match write {
        Write::Publish(event) => {
            let envelope = Envelope {
                from: instance.to_owned(),
                event,
            };
            let Ok(payload) = serde_json::to_vec(&envelope) else {
                return Ok(Reply::Int(0));
            };
            link.call(&[b"PUBLISH", channel.as_bytes(), &payload]).await
        }
        Write::Set { key, value, ms } => {
            let ms = ms.to_string();
            link.call(&[b"SET", key.as_bytes(), &value, b"PX", ms.as_bytes()])
                .await
        }
        Write::Release { key, value } => {
            link.call(&[
                b"EVAL",
                RELEASE.as_bytes(),
                b"1",
                key.as_bytes(),
                value.as_bytes(),
            ])
            .await
        }
        Write::Lease { connection, lease } => {
            let (flight, _) = admission_keys(&connection);
            link.call(&[b"ZREM", flight.as_bytes(), lease.as_bytes()])
                .await
        }
    }
}

/// Reads the rests and open breakers other instances keep: `(until unix ms, event)`.
pub(crate) async fn kept_rests(link: &Link) -> Vec<(i64, Event)> {
    let mut found = Vec::new();
    let mut cursor = b"0".to_vec();
    let pattern = format!("{REST_PREFIX}*");
    for _ in 0..1000 {
        let Ok(Reply::Array(Some(mut page))) = link
            .call(&[
                b"SCAN",
                &cursor,
                b"MATCH",
                pattern.as_bytes(),
                b"COUNT",
                b"500",
            ])
            .await
        else {
            break;
        };
        let keys = page.pop();
        let next = page.pop().and_then(Reply::into_bytes);
        if let Some(Reply::Array(Some(keys))) = keys {
            for key in keys.into_iter().filter_map(Reply::into_bytes) {
                if let Ok(Reply::Bulk(Some(value))) = link.call(&[b"GET", &key]).await
                    && let Ok(kept) = serde_json::from_slice::<(i64, Event)>(&value)
                {
                    found.push(kept);
                }
            }
        }
        match next {
            Some(n) if n != b"0" => cursor = n,
            _ => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployments_on_different_databases_hear_only_themselves() {
        let one = Target::parse("redis://cache:6379/1").unwrap();
        let two = Target::parse("redis://cache:6379/2").unwrap();
        assert_eq!(channel(&one), "omniroute:events:1");
        assert_ne!(channel(&one), channel(&two));
        // Keys are per database already; only the channel needed the number.
        assert_eq!(idempotency_key("k"), idempotency_key("k"));
        assert_ne!(cache_key(1), cache_key(2));
    }
}
