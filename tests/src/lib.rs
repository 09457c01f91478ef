//! The test harness every end-to-end test uses: a mock upstream speaking the providers' wire
//! formats (`mock`), and two ways to run OmniRoute against it — in-process with
//! `Gateway::start` (`TestGateway`) or as the real `omniroute` binary (`GatewayProcess`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "test harness: failing loudly is the point, and it runs outside the gateway"
)]

pub mod clients;
pub mod gateway;
pub mod mock;
pub mod oauth_server;
pub mod proxies;

pub use gateway::{GatewayProcess, TestGateway};
pub use mock::MockUpstream;
pub use oauth_server::FakeAuthServer;
