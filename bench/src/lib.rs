//! Benchmark tools for OmniRoute: a mock upstream cheap enough to share a core with the load
//! generator (`bench-mock`), and an open-model load generator with HDR histograms (`loadgen`).
//! `bench/run.sh` drives both against the gateway, the mock directly, and LiteLLM.

pub mod args;
pub mod load;
pub mod mock;
pub mod report;
pub mod wire;
