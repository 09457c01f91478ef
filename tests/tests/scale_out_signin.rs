//! A signed-in subscription account served by two gateways on one PostgreSQL database: a
//! refresh token is single-use, so when one gateway renews the tokens the other's copy is
//! worthless. The other reads the stored tokens before renewing (and after a refused refresh)
//! instead of marking the account for a new sign-in.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use oauth_rig::{ask_claude, catalog, get, sign_in_by_browser};
use omniroute_e2e::services::{Postgres, Redis};
use omniroute_e2e::{FakeAuthServer, MockUpstream, TestGateway};

mod oauth_rig;

#[tokio::test]
async fn tokens_renewed_by_one_gateway_are_used_by_the_other() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let database = postgres.database().await;
    let redis_url = redis.url();
    let auth = FakeAuthServer::start().await.unwrap();
    let mock = MockUpstream::start().await.unwrap();
    // Every token is issued within the refresh margin: each request renews (and rotates).
    let providers = catalog(&auth, &mock, 60);
    auth.with(|s| s.expires_in = 30);
    let vars = [
        ("DATABASE_URL", database.as_str()),
        ("REDIS_URL", redis_url.as_str()),
        (
            "SECRET_KEY",
            "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
        ),
    ];
    let start = || async {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("providers.json"), providers.to_string()).unwrap();
        TestGateway::start_in(dir, &vars).await.unwrap()
    };
    let a = start().await;
    let b = start().await;
    sign_in_by_browser(&a).await;
    // A renews (R1 → R2), B reads R2 and renews (R2 → R3); A still holds R2, which is dead.
    for gw in [&a, &b, &a, &b] {
        let (status, body) = ask_claude(gw).await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(auth.with(|s| s.refreshes), 4);
    for gw in [&a, &b] {
        let providers = get(gw, "/api/providers").await;
        assert_eq!(providers[0]["auth"]["state"], "ok", "{providers}");
    }
}
