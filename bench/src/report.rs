//! What a run measured: HDR histograms (microseconds, 4 significant digits: 5 µs resolution
//! at 50 ms) and counters, printed as one JSON object for `bench/scenarios.py`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// Longest value a histogram holds: two minutes, in microseconds.
const MAX_US: u64 = 120_000_000;

#[allow(
    clippy::expect_used,
    reason = "constant bounds that hdrhistogram accepts (covered by the tests)"
)]
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_US, 4).expect("valid histogram bounds")
}

/// Latencies and counters of the requests scheduled after the warm-up.
#[derive(Debug)]
pub struct Stats {
    /// Scheduled time → last byte of the answer.
    pub latency: Histogram<u64>,
    /// Scheduled time → response headers.
    pub ttfb: Histogram<u64>,
    /// Scheduled time → the first token event (streams).
    pub ttft: Histogram<u64>,
    /// Each token's arrival after the time the mock was due to send it (streams).
    pub chunk_delay: Histogram<u64>,
    /// Time between two consecutive token events (streams).
    pub gap: Histogram<u64>,
    pub ok: u64,
    /// When the first and the last OK answer completed: the achieved rate is the OK answers
    /// over that span, which stretches when the server falls behind the arrivals.
    pub first_done: Option<Instant>,
    pub last_done: Option<Instant>,
    pub errors: BTreeMap<String, u64>,
    pub tokens: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Self {
            latency: histogram(),
            ttfb: histogram(),
            ttft: histogram(),
            chunk_delay: histogram(),
            gap: histogram(),
            ok: 0,
            first_done: None,
            last_done: None,
            errors: BTreeMap::new(),
            tokens: 0,
        }
    }
}

/// Records `d` in microseconds.
pub fn record(h: &mut Histogram<u64>, d: Duration) {
    let us = u64::try_from(d.as_micros()).unwrap_or(MAX_US);
    h.saturating_record(us.min(MAX_US));
}

fn ms(us: u64) -> f64 {
    // Microseconds fit an f64 exactly up to 2^53.
    #[allow(clippy::cast_precision_loss, reason = "values are below 2^53")]
    let v = us as f64 / 1000.0;
    (v * 1000.0).round() / 1000.0
}

/// Percentiles of `h` in milliseconds, or null when it is empty.
pub fn summary(h: &Histogram<u64>) -> Value {
    if h.is_empty() {
        return Value::Null;
    }
    json!({
        "count": h.len(),
        "p50": ms(h.value_at_quantile(0.5)),
        "p90": ms(h.value_at_quantile(0.9)),
        "p99": ms(h.value_at_quantile(0.99)),
        "p999": ms(h.value_at_quantile(0.999)),
        "max": ms(h.max()),
        "mean": (h.mean() / 1000.0 * 1000.0).round() / 1000.0,
    })
}

impl Stats {
    /// The JSON report: `scheduled` is the number of requests due after the warm-up.
    pub fn to_json(&self, scheduled: u64, offered_rate: f64) -> Value {
        let errors: u64 = self.errors.values().sum();
        let span = match (self.first_done, self.last_done) {
            (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
            _ => 0.0,
        };
        #[allow(
            clippy::cast_precision_loss,
            reason = "request counts are far below 2^53"
        )]
        let (achieved, error_rate) = (
            if span > 0.0 {
                self.ok.saturating_sub(1) as f64 / span
            } else {
                0.0
            },
            if scheduled == 0 {
                0.0
            } else {
                errors as f64 / scheduled as f64
            },
        );
        json!({
            "offered_rate": offered_rate,
            "scheduled": scheduled,
            "ok": self.ok,
            "errors": errors,
            "error_rate": error_rate,
            "error_kinds": self.errors,
            "achieved_rate": (achieved * 10.0).round() / 10.0,
            "tokens": self.tokens,
            "latency_ms": summary(&self.latency),
            "ttfb_ms": summary(&self.ttfb),
            "ttft_ms": summary(&self.ttft),
            "chunk_delay_ms": summary(&self.chunk_delay),
            "gap_ms": summary(&self.gap),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_in_milliseconds() {
        let mut h = histogram();
        for us in 1..=1000 {
            record(&mut h, Duration::from_micros(us * 100));
        }
        let s = summary(&h);
        assert!((s["p50"].as_f64().unwrap() - 50.0).abs() < 0.1);
        assert!((s["p99"].as_f64().unwrap() - 99.0).abs() < 0.1);
        assert_eq!(s["count"], 1000);
        assert!(summary(&histogram()).is_null());
    }
}
