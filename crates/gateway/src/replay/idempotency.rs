//! Idempotency: a request repeated with the same `Idempotency-Key` (or `X-Request-Id`) within
//! five seconds of the first one finishing gets the first one's answer; a duplicate that
//! arrives while the first is still running waits for it instead of calling upstream again.
//! Retryable outcomes (429, 5xx) and answers that never finished are not kept, so a retry of
//! those runs again.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::Captured;

/// How long a finished answer is replayed.
pub const WINDOW: Duration = Duration::from_secs(5);

enum Slot {
    Running(watch::Receiver<Option<Arc<Captured>>>),
    Done {
        answer: Arc<Captured>,
        until: Instant,
    },
}

#[derive(Default)]
struct Slots {
    map: HashMap<String, Slot>,
    /// Finished answers in the order they expire, so expiry is never a scan of every key.
    expiry: VecDeque<(Instant, String)>,
}

impl Slots {
    fn expire(&mut self, now: Instant) {
        while let Some((until, _)) = self.expiry.front() {
            if *until > now {
                break;
            }
            if let Some((until, key)) = self.expiry.pop_front() {
                if matches!(self.map.get(&key), Some(Slot::Done { until: u, .. }) if *u == until) {
                    self.map.remove(&key);
                }
            }
        }
    }
}

#[derive(Default)]
pub struct Idempotency {
    slots: Mutex<Slots>,
    /// Other instances' claims and answers (Redis), when there are any.
    cluster: Option<Arc<crate::cluster::Cluster>>,
}

pub enum Begin {
    /// Nobody ran this yet: run it and publish the answer.
    First(Publisher),
    /// Finished recently: send this.
    Replay(Arc<Captured>),
}

/// The right (and duty) to publish the answer for a key. Dropped without publishing (the
/// request failed retryably or the client went away), the key is free again and waiters
/// run the request themselves.
pub struct Publisher {
    owner: Arc<Idempotency>,
    key: String,
    tx: watch::Sender<Option<Arc<Captured>>>,
    published: bool,
}

impl Publisher {
    fn cluster(&self) -> Option<&crate::cluster::Cluster> {
        self.owner.cluster.as_deref()
    }
}

impl Idempotency {
    /// Idempotency across every instance sharing `cluster`.
    pub fn shared(cluster: Arc<crate::cluster::Cluster>) -> Self {
        Self {
            slots: Mutex::default(),
            cluster: Some(cluster),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        match self.slots.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Claims `key`, or waits for whoever holds it, on this instance and then on the others.
    pub async fn begin(self: &Arc<Self>, key: String) -> Begin {
        let first = match self.begin_here(key).await {
            Begin::First(publisher) => publisher,
            replay => return replay,
        };
        let Some(cluster) = self.cluster.as_deref() else {
            return Begin::First(first);
        };
        match cluster.claim(&first.key).await {
            crate::cluster::Claim::Mine | crate::cluster::Claim::Local => Begin::First(first),
            crate::cluster::Claim::Answer(bytes) => match Captured::decode(&bytes) {
                Some(answer) => {
                    let answer = Arc::new(answer);
                    first.keep(answer.clone());
                    Begin::Replay(answer)
                }
                // Unreadable: run it rather than fail the request.
                None => Begin::First(first),
            },
        }
    }

    async fn begin_here(self: &Arc<Self>, key: String) -> Begin {
        loop {
            let mut waiting = {
                let mut slots = self.lock();
                slots.expire(Instant::now());
                match slots.map.get(&key) {
                    Some(Slot::Done { answer, .. }) => return Begin::Replay(answer.clone()),
                    Some(Slot::Running(rx)) => rx.clone(),
                    None => {
                        let (tx, rx) = watch::channel(None);
                        slots.map.insert(key.clone(), Slot::Running(rx));
                        return Begin::First(Publisher {
                            owner: self.clone(),
                            key,
                            tx,
                            published: false,
                        });
                    }
                }
            };
            if let Ok(answer) = waiting.wait_for(Option::is_some).await {
                if let Some(answer) = answer.as_ref() {
                    return Begin::Replay(answer.clone());
                }
            }
            // The first request gave up without an answer: try to become the first.
        }
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Publisher {
    /// Publishes a finished answer: kept for `WINDOW` unless it is worth retrying.
    pub fn publish(self, answer: Captured) {
        let status = answer.status.as_u16();
        if status == 429 || status >= 500 {
            return;
        }
        if let Some(cluster) = self.cluster() {
            cluster.remember(&self.key, &answer.encode());
        }
        self.keep(Arc::new(answer));
    }

    /// Keeps `answer` on this instance and hands it to the requests waiting here.
    fn keep(mut self, answer: Arc<Captured>) {
        let until = Instant::now() + WINDOW;
        {
            let mut slots = self.owner.lock();
            slots.map.insert(
                self.key.clone(),
                Slot::Done {
                    answer: answer.clone(),
                    until,
                },
            );
            slots.expiry.push_back((until, self.key.clone()));
        }
        self.published = true;
        self.tx.send_replace(Some(answer));
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        if !self.published {
            if let Some(cluster) = self.cluster() {
                cluster.unclaim(&self.key);
            }
            let mut slots = self.owner.lock();
            if matches!(slots.map.get(&self.key), Some(Slot::Running(_))) {
                slots.map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "tests")]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};

    fn answer(status: u16, body: &'static str) -> Captured {
        Captured::new(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            Bytes::from_static(body.as_bytes()),
        )
    }

    #[tokio::test]
    async fn a_duplicate_waits_for_the_first_and_gets_its_answer() {
        let idem = Arc::new(Idempotency::default());
        let Begin::First(first) = idem.begin("k".into()).await else {
            panic!("first")
        };
        let waiter = {
            let idem = idem.clone();
            tokio::spawn(async move { idem.begin("k".into()).await })
        };
        tokio::task::yield_now().await;
        first.publish(answer(200, "one"));
        let Begin::Replay(got) = waiter.await.unwrap() else {
            panic!("replay")
        };
        assert_eq!(got.body, "one");
        let Begin::Replay(again) = idem.begin("k".into()).await else {
            panic!("replay")
        };
        assert_eq!(again.body, "one");
        assert!(matches!(idem.begin("other".into()).await, Begin::First(_)));
    }

    #[tokio::test]
    async fn finished_answers_expire_in_order() {
        let idem = Arc::new(Idempotency::default());
        for key in ["a", "b"] {
            let Begin::First(p) = idem.begin(key.into()).await else {
                panic!()
            };
            p.publish(answer(200, "x"));
        }
        assert_eq!(idem.len(), 2);
        idem.lock().expire(Instant::now() + WINDOW);
        assert!(idem.is_empty());
        assert!(idem.lock().expiry.is_empty());
    }

    #[tokio::test]
    async fn retryable_or_abandoned_answers_free_the_key() {
        let idem = Arc::new(Idempotency::default());
        let Begin::First(first) = idem.begin("k".into()).await else {
            panic!()
        };
        first.publish(answer(503, "down"));
        let Begin::First(second) = idem.begin("k".into()).await else {
            panic!("503 is retried")
        };
        let waiter = {
            let idem = idem.clone();
            tokio::spawn(async move { matches!(idem.begin("k".into()).await, Begin::First(_)) })
        };
        tokio::task::yield_now().await;
        drop(second);
        assert!(waiter.await.unwrap(), "the waiter runs the request itself");
    }
}
