//! The Prometheus text exposition format (version 0.0.4) of the telemetry and process figures,
//! for `GET /metrics`: request counters by provider, model and status class, latency summaries
//! per provider, uptime and resident memory.

use std::fmt::Write;

use super::{Stats, Telemetry, class_label};

/// The `Content-Type` of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value with `\`, `"` and line feeds escaped, as the format requires.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Process figures that are not telemetry.
pub struct Process {
    pub uptime_seconds: f64,
    pub resident_memory_bytes: Option<u64>,
    /// With `REDIS_URL`: whether live state is shared right now, and how many operations fell
    /// back to this instance's own state.
    pub shared_state: Option<(bool, u64)>,
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn summary(out: &mut String, name: &str, provider: &str, stats: &Stats, ttft: bool) {
    let Some(h) = (if ttft {
        stats.ttft.as_ref()
    } else {
        Some(&stats.latency)
    }) else {
        return;
    };
    if h.is_empty() {
        return;
    }
    let provider = escape_label(provider);
    for (q, quantile) in [("0.5", 0.5), ("0.95", 0.95), ("0.99", 0.99)] {
        let seconds = h.value_at_quantile(quantile) as f64 / 1e6;
        let _ = writeln!(
            out,
            "{name}{{provider=\"{provider}\",quantile=\"{q}\"}} {seconds}"
        );
    }
    // The time-to-first-token histogram keeps no sum; its mean stands in for it.
    let sum_us = if ttft {
        h.mean() * h.len() as f64
    } else {
        stats.latency_sum_us as f64
    };
    let _ = writeln!(
        out,
        "{name}_sum{{provider=\"{provider}\"}} {}",
        sum_us / 1e6
    );
    let _ = writeln!(out, "{name}_count{{provider=\"{provider}\"}} {}", h.len());
}

/// Renders everything in the exposition format.
pub fn render(telemetry: &Telemetry, process: &Process) -> String {
    let models = telemetry.models();
    let providers = super::merge_by_provider(models.clone());
    let mut out = String::new();

    header(
        &mut out,
        "omniroute_requests_total",
        "counter",
        "Upstream requests by provider, model and status class (other: no HTTP answer).",
    );
    for (provider, model, stats) in &models {
        let (provider, model) = (escape_label(provider), escape_label(model));
        for (index, count) in stats.by_class.iter().enumerate() {
            if *count > 0 {
                let status = class_label(index);
                let _ = writeln!(
                    out,
                    "omniroute_requests_total{{provider=\"{provider}\",model=\"{model}\",status=\"{status}\"}} {count}"
                );
            }
        }
    }

    header(
        &mut out,
        "omniroute_upstream_errors_total",
        "counter",
        "Upstream requests that failed (status 400 and above, or no answer) by provider.",
    );
    for (provider, stats) in &providers {
        let _ = writeln!(
            out,
            "omniroute_upstream_errors_total{{provider=\"{}\"}} {}",
            escape_label(provider),
            stats.errors
        );
    }

    header(
        &mut out,
        "omniroute_request_duration_seconds",
        "summary",
        "Latency of successful upstream requests by provider (streams: until the last byte).",
    );
    for (provider, stats) in &providers {
        summary(
            &mut out,
            "omniroute_request_duration_seconds",
            provider,
            stats,
            false,
        );
    }

    header(
        &mut out,
        "omniroute_time_to_first_token_seconds",
        "summary",
        "Time to the first token of successful upstream streams by provider.",
    );
    for (provider, stats) in &providers {
        summary(
            &mut out,
            "omniroute_time_to_first_token_seconds",
            provider,
            stats,
            true,
        );
    }

    header(
        &mut out,
        "omniroute_uptime_seconds",
        "gauge",
        "Seconds since the gateway started.",
    );
    let _ = writeln!(out, "omniroute_uptime_seconds {}", process.uptime_seconds);
    if let Some(rss) = process.resident_memory_bytes {
        header(
            &mut out,
            "omniroute_resident_memory_bytes",
            "gauge",
            "Resident memory of the gateway process in bytes.",
        );
        let _ = writeln!(out, "omniroute_resident_memory_bytes {rss}");
    }
    if let Some((shared, fallbacks)) = process.shared_state {
        header(
            &mut out,
            "omniroute_shared_state_up",
            "gauge",
            "1 while live state is shared with the other instances through Redis, 0 while this instance uses its own.",
        );
        let _ = writeln!(out, "omniroute_shared_state_up {}", u8::from(shared));
        header(
            &mut out,
            "omniroute_shared_state_fallbacks_total",
            "counter",
            "Operations that used this instance's own state because Redis was unreachable.",
        );
        let _ = writeln!(out, "omniroute_shared_state_fallbacks_total {fallbacks}");
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("plain/model-1"), "plain/model-1");
        assert_eq!(escape_label(r#"a"b"#), r#"a\"b"#);
        assert_eq!(escape_label(r"a\b"), r"a\\b");
        assert_eq!(escape_label("a\nb"), r"a\nb");
        assert_eq!(escape_label("\\\"\n"), "\\\\\\\"\\n");
    }

    fn sample() -> Telemetry {
        let t = Telemetry::default();
        for i in 1..=100 {
            t.record("openai", "gpt-4o", 200, Duration::from_millis(i), None);
        }
        t.record("openai", "gpt-4o", 500, Duration::from_millis(7), None);
        t.record(
            "od\"d",
            "we\\ird\nname",
            200,
            Duration::from_millis(2),
            Some(Duration::from_millis(1)),
        );
        t
    }

    #[test]
    fn renders_counters_summaries_and_gauges() {
        let text = render(
            &sample(),
            &Process {
                uptime_seconds: 12.5,
                resident_memory_bytes: Some(4096),
                shared_state: None,
            },
        );
        for line in [
            r#"omniroute_requests_total{provider="openai",model="gpt-4o",status="2xx"} 100"#,
            r#"omniroute_requests_total{provider="openai",model="gpt-4o",status="5xx"} 1"#,
            r#"omniroute_requests_total{provider="od\"d",model="we\\ird\nname",status="2xx"} 1"#,
            r#"omniroute_upstream_errors_total{provider="openai"} 1"#,
            r#"omniroute_request_duration_seconds_sum{provider="openai"} 5.05"#,
            r#"omniroute_request_duration_seconds_count{provider="openai"} 100"#,
            r#"omniroute_time_to_first_token_seconds_count{provider="od\"d"} 1"#,
            "# TYPE omniroute_request_duration_seconds summary",
            "omniroute_uptime_seconds 12.5",
            "omniroute_resident_memory_bytes 4096",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
        }
        // Quantiles within the histogram's 1 % precision.
        let quantile = |q: &str| -> f64 {
            let prefix = format!(
                r#"omniroute_request_duration_seconds{{provider="openai",quantile="{q}"}} "#
            );
            text.lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .unwrap()
                .parse()
                .unwrap()
        };
        for (q, want) in [("0.5", 0.050), ("0.95", 0.095), ("0.99", 0.099)] {
            let got = quantile(q);
            assert!((got - want).abs() <= want * 0.01, "{q}: {got}");
        }
        // One sample line per series, no line without a value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (series, value) = line.rsplit_once(' ').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(series.starts_with("omniroute_"), "{line}");
        }
    }

    #[test]
    fn an_empty_gateway_still_has_its_help_and_gauges() {
        let text = render(
            &Telemetry::default(),
            &Process {
                uptime_seconds: 0.0,
                resident_memory_bytes: None,
                shared_state: None,
            },
        );
        assert!(text.contains("# TYPE omniroute_requests_total counter"));
        assert!(text.contains("omniroute_uptime_seconds 0"));
        assert!(!text.contains("resident_memory"));
    }
}
