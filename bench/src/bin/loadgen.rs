//! `loadgen`: sends requests at a constant arrival rate and prints one JSON object of
//! latencies (see `omniroute_bench::load`).
//!
//! Flags: `--url` (required), `--api openai|anthropic` (openai), `--model` (m-1), `--rate`
//! (requests/s, 100), `--duration` (s, 10), `--warmup` (s, 1), `--prompt-bytes` (1024),
//! `--stream`, `--expect-chunks` (tokens per stream; 0 for whole answers), `--latency-ms` and
//! `--gap-ms` (the mock's pacing, for per-token delay), `--timeout` (s, 10),
//! `--max-in-flight` (4096).
#![allow(
    clippy::expect_used,
    reason = "a benchmark tool: bad arguments are reported by the panic message"
)]

use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};
use omniroute_bench::args::Args;
use omniroute_bench::load::{Plan, run};
use omniroute_bench::wire::{Api, request_body};

fn main() {
    let args = Args::parse(std::env::args().skip(1)).expect("bad arguments");
    let api = Api::parse(args.text("api").unwrap_or("openai")).expect("--api openai|anthropic");
    let stream: bool = args.get("stream", false).expect("--stream");
    let model = args.text("model").unwrap_or("m-1");
    let prompt_bytes: usize = args.get("prompt-bytes", 1024).expect("--prompt-bytes");
    let secs = |name: &str, default: f64| {
        Duration::from_secs_f64(args.get(name, default).expect("a number of seconds"))
    };
    let millis = |name: &str| Duration::from_millis(args.get(name, 0).expect("milliseconds"));
    // The client key sent (a gateway with REQUIRE_API_KEY needs a real one).
    let key = args.text("api-key").unwrap_or("sk-bench").to_owned();
    let key_value = |prefix: &str| {
        HeaderValue::from_str(&format!("{prefix}{key}")).expect("--api-key: header-safe text")
    };
    let mut headers = vec![(
        HeaderName::from_static("content-type"),
        HeaderValue::from_static("application/json"),
    )];
    match api {
        Api::OpenAi => headers.push((
            HeaderName::from_static("authorization"),
            key_value("Bearer "),
        )),
        Api::Anthropic => {
            headers.push((HeaderName::from_static("x-api-key"), key_value("")));
            headers.push((
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static("2023-06-01"),
            ));
        }
    }
    let plan = Plan {
        url: args
            .text("url")
            .expect("--url")
            .parse()
            .expect("--url: a URL"),
        api,
        body: request_body(
            api,
            model,
            prompt_bytes,
            stream,
            args.get("temperature", -1.0)
                .ok()
                .filter(|t: &f64| *t >= 0.0),
        ),
        headers,
        rate: args.get("rate", 100.0).expect("--rate"),
        duration: secs("duration", 10.0),
        warmup: secs("warmup", 1.0),
        timeout: secs("timeout", 10.0),
        max_in_flight: args.get("max-in-flight", 4096).expect("--max-in-flight"),
        expect_chunks: args.get("expect-chunks", 0).expect("--expect-chunks"),
        expect_latency: millis("latency-ms"),
        expect_gap: millis("gap-ms"),
    };
    let report = run(plan).expect("load run");
    println!("{report}");
}
