//! The open-model load generator: requests are due at fixed intervals whatever the answers do
//! (a slow server cannot slow the arrivals and so hide its latency), and every latency is
//! measured from the time the request was due, not from when it was sent.
//!
//! A plain thread paces the arrivals (sub-millisecond, unlike the runtime's 1 ms timer) and
//! hands each request to a one-worker tokio runtime that sends it over a pooled HTTP/1 client.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use crate::report::{Stats, record};
use crate::wire::{Api, TokenCounter};

/// One run's parameters.
#[derive(Debug, Clone)]
pub struct Plan {
    pub url: Uri,
    pub api: Api,
    pub body: Bytes,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Requests per second.
    pub rate: f64,
    /// Total time requests are scheduled over, warm-up included.
    pub duration: Duration,
    /// Leading part of `duration` whose requests are sent but not recorded.
    pub warmup: Duration,
    /// A request unanswered this long after it was due is an error.
    pub timeout: Duration,
    /// Arrivals past this many unanswered requests are dropped and counted as errors.
    pub max_in_flight: usize,
    /// Streams: tokens expected (fewer is an error), the mock's latency and gap, against which
    /// each token's delay is measured.
    pub expect_chunks: usize,
    pub expect_latency: Duration,
    pub expect_gap: Duration,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Shared {
    plan: Plan,
    client: HttpClient,
    stats: Mutex<Stats>,
    in_flight: AtomicUsize,
    window_start: Instant,
}

/// What one successful exchange measured, relative to its due time.
struct Sample {
    total: Duration,
    ttfb: Duration,
    tokens: Vec<Duration>,
}

/// Runs `plan` and returns the JSON report.
pub fn run(plan: Plan) -> Result<Value, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(usize::MAX)
        .build(connector);
    let interval = Duration::from_secs_f64(1.0 / plan.rate.max(0.001));
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a positive request count far below u64::MAX"
    )]
    let total = (plan.rate * plan.duration.as_secs_f64()).round() as u64;
    let start = Instant::now() + Duration::from_millis(20);
    let shared = Arc::new(Shared {
        window_start: start + plan.warmup,
        plan,
        client,
        stats: Mutex::new(Stats::default()),
        in_flight: AtomicUsize::new(0),
    });
    let mut scheduled_in_window = 0u64;
    let mut due = start;
    for i in 0..total {
        due = start + interval.mul_f64(i as f64);
        let now = Instant::now();
        if due > now {
            pace(due - now);
        }
        let recorded = due >= shared.window_start;
        scheduled_in_window += u64::from(recorded);
        if shared.in_flight.load(Ordering::Relaxed) >= shared.plan.max_in_flight {
            if recorded {
                shared.error("dropped: in-flight cap");
            }
            continue;
        }
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        let task = Arc::clone(&shared);
        // Tracked by the in-flight counter, which the loop below waits on.
        drop(runtime.spawn(async move { task.one(due, recorded).await }));
    }
    // Let the last requests finish (each has its own timeout).
    let deadline = due + shared.plan.timeout + Duration::from_secs(1);
    while shared.in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        pace(Duration::from_millis(2));
    }
    let stats = shared.stats.lock().unwrap_or_else(PoisonError::into_inner);
    let report = stats.to_json(scheduled_in_window, shared.plan.rate);
    drop(stats);
    runtime.shutdown_timeout(Duration::from_millis(100));
    Ok(report)
}

/// Sleeps the pacing thread (not a runtime worker) until the next arrival.
#[allow(
    clippy::disallowed_methods,
    reason = "the pacing thread is a plain thread, not a runtime worker"
)]
fn pace(d: Duration) {
    std::thread::sleep(d);
}

impl Shared {
    fn error(&self, kind: &str) {
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        *stats.errors.entry(kind.to_owned()).or_default() += 1;
    }

    async fn one(&self, due: Instant, recorded: bool) {
        let remaining = (due + self.plan.timeout).saturating_duration_since(Instant::now());
        let outcome = tokio::time::timeout(remaining, self.exchange(due)).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        if !recorded {
            return;
        }
        let sample = match outcome {
            Err(_) => return self.error("timeout"),
            Ok(Err(kind)) => return self.error(&kind),
            Ok(Ok(sample)) => sample,
        };
        let streamed = self.plan.expect_chunks > 0;
        if streamed && sample.tokens.len() < self.plan.expect_chunks {
            return self.error("stream cut short");
        }
        let done = due + sample.total;
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        stats.ok += 1;
        stats.first_done = Some(stats.first_done.map_or(done, |t| t.min(done)));
        stats.last_done = Some(stats.last_done.map_or(done, |t| t.max(done)));
        record(&mut stats.latency, sample.total);
        record(&mut stats.ttfb, sample.ttfb);
        if let Some(first) = sample.tokens.first() {
            record(&mut stats.ttft, *first);
        }
        stats.tokens += sample.tokens.len() as u64;
        let mut previous: Option<Duration> = None;
        for (i, at) in sample.tokens.iter().enumerate() {
            #[allow(clippy::cast_possible_truncation, reason = "token counts fit u32")]
            let expected = self.plan.expect_latency + self.plan.expect_gap * (i as u32);
            record(&mut stats.chunk_delay, at.saturating_sub(expected));
            if let Some(p) = previous {
                record(&mut stats.gap, at.saturating_sub(p));
            }
            previous = Some(*at);
        }
    }

    async fn exchange(&self, due: Instant) -> Result<Sample, String> {
        let mut request = Request::post(self.plan.url.clone());
        for (name, value) in &self.plan.headers {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(self.plan.body.clone()))
            .map_err(|e| format!("request: {e}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("transport: {e}"))?;
        let ttfb = due.elapsed();
        let status = response.status();
        let mut body = response.into_body();
        let mut counter = TokenCounter::new(self.plan.api);
        let mut tokens = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| format!("body: {e}"))?;
            if let Some(data) = frame.data_ref().filter(|_| self.plan.expect_chunks > 0) {
                let n = counter.push(data);
                if n > 0 {
                    let at = due.elapsed();
                    tokens.extend(std::iter::repeat_n(at, n));
                }
            }
        }
        if !status.is_success() {
            return Err(format!("status {}", status.as_u16()));
        }
        Ok(Sample {
            total: due.elapsed(),
            ttfb,
            tokens,
        })
    }
}
