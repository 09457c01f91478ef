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
pub mod services;

pub use gateway::{GatewayProcess, TestGateway};
pub use mock::MockUpstream;
pub use oauth_server::FakeAuthServer;

/// Every file under `dir`, in its subfolders too (a data directory's secrets scan must see
/// `sync/`, `cli-tools/` and whatever comes next).
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
