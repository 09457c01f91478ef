//! Latency telemetry of upstream requests: an HDR histogram of latency (and of time to first
//! token, for streams) and counters by status class, per provider and model, in memory since
//! start. Read by `GET /api/telemetry`, `GET /api/health` and `GET /metrics`.
//!
//! The request path pays one read lock on the key map and one small per-model lock; a map
//! entry (and its histogram, ~13 KiB) is allocated only the first time a model is seen. Provider
//! figures are merged from their models when read, so recording touches one entry. Percentiles
//! are over successful requests (a 500 answered in a millisecond says nothing about speed);
//! counts and errors cover every attempt.

pub mod exposition;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use futures_util::StreamExt;
use hdrhistogram::Histogram;
use serde::Serialize;

/// Longest latency told apart: one hour, in microseconds (longer ones count as one hour).
const MAX_US: u64 = 3_600_000_000;
/// Two significant digits: 1 % error, a small histogram.
const SIGFIG: u8 = 2;

fn histogram() -> Option<Histogram<u32>> {
    Histogram::new_with_bounds(1, MAX_US, SIGFIG).ok()
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Index of a status in `Stats::by_class`: its hundreds digit, 0 for anything else.
fn class_index(status: u16) -> usize {
    match status / 100 {
        c @ 1..=5 => usize::from(c),
        _ => 0,
    }
}

/// Label of a `Stats::by_class` index.
pub fn class_label(index: usize) -> &'static str {
    ["other", "1xx", "2xx", "3xx", "4xx", "5xx"]
        .get(index)
        .copied()
        .unwrap_or("other")
}

/// Figures of one provider/model pair (or, merged, of one provider).
#[derive(Debug, Clone)]
pub struct Stats {
    /// Latency of successful requests, microseconds.
    pub latency: Histogram<u32>,
    /// Time to first token of successful streams, microseconds (allocated on the first stream).
    pub ttft: Option<Histogram<u32>>,
    /// Sum of the recorded latencies, microseconds.
    pub latency_sum_us: u64,
    /// Requests by status class (see `class_label`).
    pub by_class: [u64; 6],
    /// Requests answered with a status of 400 or more (or none at all).
    pub errors: u64,
}

impl Stats {
    fn new() -> Option<Self> {
        Some(Self {
            latency: histogram()?,
            ttft: None,
            latency_sum_us: 0,
            by_class: [0; 6],
            errors: 0,
        })
    }

    fn record(&mut self, status: u16, latency: Duration, ttft: Option<Duration>) {
        self.by_class[class_index(status)] += 1;
        if !(200..400).contains(&status) {
            self.errors += 1;
            return;
        }
        let us = micros(latency);
        self.latency.saturating_record(us);
        self.latency_sum_us = self.latency_sum_us.saturating_add(us);
        if let Some(ttft) = ttft {
            if self.ttft.is_none() {
                self.ttft = histogram();
            }
            if let Some(h) = &mut self.ttft {
                h.saturating_record(micros(ttft));
            }
        }
    }

    fn merge(&mut self, other: &Stats) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency.add(&other.latency);
        match (&mut self.ttft, &other.ttft) {
            (Some(mine), Some(theirs)) => {
                let _ = mine.add(theirs);
            }
            (None, Some(theirs)) => self.ttft = Some(theirs.clone()),
            _ => {}
        }
        self.latency_sum_us = self.latency_sum_us.saturating_add(other.latency_sum_us);
        for (mine, theirs) in self.by_class.iter_mut().zip(other.by_class) {
            *mine += theirs;
        }
        self.errors += other.errors;
    }

    pub fn count(&self) -> u64 {
        self.by_class.iter().sum()
    }

    pub fn summary(&self) -> LatencySummary {
        let ms = |h: &Histogram<u32>, q: f64| {
            (!h.is_empty()).then(|| h.value_at_quantile(q) as f64 / 1000.0)
        };
        let ttft = |q: f64| self.ttft.as_ref().and_then(|h| ms(h, q));
        LatencySummary {
            count: self.count(),
            errors: self.errors,
            p50_ms: ms(&self.latency, 0.5),
            p95_ms: ms(&self.latency, 0.95),
            p99_ms: ms(&self.latency, 0.99),
            ttft_p50_ms: ttft(0.5),
            ttft_p95_ms: ttft(0.95),
            ttft_p99_ms: ttft(0.99),
        }
    }
}

/// Percentiles of one provider or model, as the API shows them.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct LatencySummary {
    /// Every recorded request, whatever its status.
    pub count: u64,
    pub errors: u64,
    /// Latency percentiles of successful requests (null before the first one).
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Time to first token of successful streams.
    pub ttft_p50_ms: Option<f64>,
    pub ttft_p95_ms: Option<f64>,
    pub ttft_p99_ms: Option<f64>,
}

/// `GET /api/telemetry`: per provider, and per model as `provider/model`.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct TelemetryReport {
    pub providers: BTreeMap<String, LatencySummary>,
    pub models: BTreeMap<String, LatencySummary>,
}

type Entry = Arc<Mutex<Stats>>;

/// Most (provider, model) series kept (each holds histograms of ~13 KiB and a `/metrics`
/// label); requests for models beyond it are counted under `OTHER`.
pub const MAX_SERIES: usize = 1000;
/// The model name of the overflow series.
pub const OTHER: &str = "other";

fn lock(stats: &Mutex<Stats>) -> std::sync::MutexGuard<'_, Stats> {
    stats.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Default)]
pub struct Telemetry {
    /// provider → model → figures.
    entries: RwLock<HashMap<String, HashMap<String, Entry>>>,
}

impl Telemetry {
    /// Records one upstream request: its status (0 when none came), its latency and, for a
    /// stream, the time to its first token.
    pub fn record(
        &self,
        provider: &str,
        model: &str,
        status: u16,
        latency: Duration,
        ttft: Option<Duration>,
    ) {
        if let Some(entry) = self.entry(provider, model) {
            lock(&entry).record(status, latency, ttft);
        }
    }

    /// Records an answer that `started` at `started`: at once when its body is complete, when
    /// the body ends (or the client leaves) for a stream, whose first token came just now.
    pub fn observe(
        &self,
        response: Response,
        provider: &str,
        model: &str,
        started: Instant,
        stream: bool,
    ) -> Response {
        let status = response.status().as_u16();
        if !stream {
            self.record(provider, model, status, started.elapsed(), None);
            return response;
        }
        let Some(entry) = self.entry(provider, model) else {
            return response;
        };
        let done = StreamDone {
            entry,
            status,
            started,
            ttft: started.elapsed(),
        };
        let (parts, body) = response.into_parts();
        let body = body.into_data_stream().map(move |chunk| {
            let _held = &done;
            chunk
        });
        Response::from_parts(parts, Body::from_stream(body))
    }

    fn entry(&self, provider: &str, model: &str) -> Option<Entry> {
        let found = self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(provider)
            .and_then(|models| models.get(model))
            .cloned();
        if found.is_some() {
            return found;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let series: usize = entries.values().map(HashMap::len).sum();
        // Model names come from clients: past the bound, new ones share one series per provider.
        let (provider, model) = if series >= MAX_SERIES {
            (provider, OTHER)
        } else {
            (provider, model)
        };
        let models = entries.entry(provider.to_owned()).or_default();
        if let Some(entry) = models.get(model) {
            return Some(entry.clone());
        }
        let entry = Arc::new(Mutex::new(Stats::new()?));
        models.insert(model.to_owned(), entry.clone());
        Some(entry)
    }

    /// A copy of every model's figures, as `(provider, model, stats)` sorted by name.
    pub fn models(&self) -> Vec<(String, String, Stats)> {
        let entries: Vec<(String, String, Entry)> = {
            let map = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            map.iter()
                .flat_map(|(provider, models)| {
                    models
                        .iter()
                        .map(move |(model, e)| (provider.clone(), model.clone(), e.clone()))
                })
                .collect()
        };
        let mut out: Vec<(String, String, Stats)> = entries
            .into_iter()
            .map(|(p, m, e)| {
                let stats = lock(&e).clone();
                (p, m, stats)
            })
            .collect();
        out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        out
    }

    /// Each provider's figures, merged from its models.
    pub fn providers(&self) -> BTreeMap<String, Stats> {
        merge_by_provider(self.models())
    }

    pub fn report(&self) -> TelemetryReport {
        let models = self.models();
        let by_model = models
            .iter()
            .map(|(p, m, s)| (format!("{p}/{m}"), s.summary()))
            .collect();
        TelemetryReport {
            providers: merge_by_provider(models)
                .into_iter()
                .map(|(p, s)| (p, s.summary()))
                .collect(),
            models: by_model,
        }
    }

    /// Per provider latency summary, for the health report.
    pub fn provider_summaries(&self) -> BTreeMap<String, LatencySummary> {
        self.providers()
            .into_iter()
            .map(|(p, s)| (p, s.summary()))
            .collect()
    }
}

fn merge_by_provider(models: Vec<(String, String, Stats)>) -> BTreeMap<String, Stats> {
    let mut out: BTreeMap<String, Stats> = BTreeMap::new();
    for (provider, _, stats) in models {
        match out.get_mut(&provider) {
            Some(merged) => merged.merge(&stats),
            None => {
                out.insert(provider, stats);
            }
        }
    }
    out
}

/// Records a stream when its body is dropped: after the last chunk, or when the client left.
struct StreamDone {
    entry: Entry,
    status: u16,
    started: Instant,
    ttft: Duration,
}

impl Drop for StreamDone {
    fn drop(&mut self) {
        lock(&self.entry).record(self.status, self.started.elapsed(), Some(self.ttft));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn percentiles_of_successes_and_counts_of_everything() {
        let t = Telemetry::default();
        for i in 1..=100 {
            t.record("openai", "gpt-4o", 200, ms(i), None);
        }
        t.record("openai", "gpt-4o", 500, ms(5000), None);
        t.record("openai", "gpt-4o", 429, ms(1), None);
        let report = t.report();
        let s = &report.models["openai/gpt-4o"];
        assert_eq!((s.count, s.errors), (102, 2));
        // 1 % precision: the 50th of 1..=100 ms is 50 ms within half a millisecond.
        let near = |v: Option<f64>, want: f64| (v.unwrap() - want).abs() <= want * 0.01;
        assert!(near(s.p50_ms, 50.0), "{s:?}");
        assert!(near(s.p95_ms, 95.0), "{s:?}");
        assert!(near(s.p99_ms, 99.0), "{s:?}");
        assert_eq!(s.ttft_p50_ms, None);
        assert_eq!(report.providers["openai"], *s);
    }

    #[test]
    fn providers_merge_their_models() {
        let t = Telemetry::default();
        t.record("p", "fast", 200, ms(10), Some(ms(2)));
        t.record("p", "slow", 200, ms(1000), None);
        t.record("p", "slow", 503, ms(3), None);
        t.record("q", "m", 0, ms(30_000), None);
        let providers = t.providers();
        let p = &providers["p"];
        assert_eq!(p.count(), 3);
        assert_eq!(p.errors, 1);
        assert_eq!(p.latency.len(), 2);
        assert_eq!(p.latency_sum_us, 1_010_000);
        assert_eq!(p.by_class[class_index(503)], 1);
        let summary = p.summary();
        assert!(summary.p99_ms.unwrap() >= 990.0, "{summary:?}");
        assert!(
            (summary.ttft_p50_ms.unwrap() - 2.0).abs() < 0.05,
            "{summary:?}"
        );
        // No answer at all: an error of class "other", no percentiles.
        let q = providers["q"].summary();
        assert_eq!((q.count, q.errors, q.p50_ms), (1, 1, None));
        assert_eq!(class_label(class_index(0)), "other");
        assert_eq!(class_label(class_index(204)), "2xx");
    }

    #[test]
    fn client_chosen_model_names_cannot_grow_the_series_without_bound() {
        let t = Telemetry::default();
        for i in 0..MAX_SERIES + 500 {
            t.record("p", &format!("model-{i}"), 200, ms(1), None);
        }
        let report = t.report();
        assert_eq!(report.models.len(), MAX_SERIES + 1);
        assert_eq!(report.models["p/other"].count, 500);
        // A series seen before the bound keeps its own figures.
        t.record("p", "model-0", 200, ms(1), None);
        assert_eq!(t.report().models["p/model-0"].count, 2);
    }

    #[test]
    fn latencies_beyond_the_bounds_saturate_instead_of_failing() {
        let t = Telemetry::default();
        t.record("p", "m", 200, Duration::from_secs(10 * 3600), None);
        t.record("p", "m", 200, Duration::ZERO, None);
        let s = t.report().models["p/m"].clone();
        assert_eq!(s.count, 2);
        assert!(s.p99_ms.unwrap() >= 3_590_000.0, "{s:?}");
    }

    #[tokio::test]
    async fn a_stream_is_recorded_when_its_body_ends() {
        let t = Telemetry::default();
        let started = Instant::now();
        let response = Response::new(Body::from("data: x\n\n"));
        let response = t.observe(response, "p", "m", started, true);
        assert_eq!(t.report().models.get("p/m").map(|s| s.count), Some(0));
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&bytes[..], b"data: x\n\n");
        let s = t.report().models["p/m"].clone();
        assert_eq!(s.count, 1);
        assert!(s.ttft_p50_ms.is_some() && s.p50_ms.is_some(), "{s:?}");
    }
}
