//! Two real `omniroute serve` processes on one PostgreSQL database and one Redis (servers of
//! the test's own, from Debian's packages), both under load; one is killed outright (SIGKILL:
//! no shutdown, no flush) and started again on its data directory. Every request a client got
//! an answer for has its usage row, and no row is stored twice: the killed instance's journal
//! holds the rows it had not stored yet, and its next start stores them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods,
    reason = "tests"
)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use omniroute_e2e::GatewayProcess;
use omniroute_e2e::mock::{Fault, Format, Script};
use omniroute_e2e::services::{Postgres, Redis};
use omniroute_e2e::{MockUpstream, clients};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_omniroute");

/// Answered requests, counted as they complete.
fn load(
    url: String,
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicUsize>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let (path, body) = clients::request(Format::OpenAiChat, "up/m-1", "hi", false, false);
        while !stop.load(Ordering::Relaxed) {
            match http.post(format!("{url}{path}")).json(&body).send().await {
                Ok(r) if r.status() == 200 => {
                    if r.bytes().await.is_ok() {
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(r) => panic!("unexpected status {}", r.status()),
                // The killed instance: its connections break.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    })
}

async fn usage_rows(database: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM usage")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let distinct: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT uid) FROM usage")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(n, distinct, "a row was stored twice");
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_killed_mid_load_loses_no_usage_row() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let database = postgres.database().await;
    let redis_url = redis.url();
    let mock = MockUpstream::start().await.unwrap();
    mock.set_default(Script {
        fault: Fault {
            delay_ms: 2,
            ..Fault::default()
        },
        ..Script::default()
    });
    let vars = [
        ("DATABASE_URL", database.as_str()),
        ("REDIS_URL", redis_url.as_str()),
        (
            "SECRET_KEY",
            "1f2e3d4c5b6a79880f1e2d3c4b5a69788f7e6d5c4b3a29181f2e3d4c5b6a7988",
        ),
        ("JWT_SECRET", "kill-test-jwt"),
        ("API_KEY_SECRET", "kill-test-keys"),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = GatewayProcess::spawn(Path::new(BIN), dir_a.path(), &vars).unwrap();
    let mut b = GatewayProcess::spawn(Path::new(BIN), dir_b.path(), &vars).unwrap();
    let http = reqwest::Client::new();
    let node = serde_json::json!({"name": "up", "prefix": "up", "apiType": "openai", "baseUrl": mock.base_url(Format::OpenAiChat)});
    let r = http
        .post(format!("{}/api/provider-nodes", a.url))
        .json(&node)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let conn = serde_json::json!({"provider": "up", "apiKey": "sk-upstream-0123456789"});
    let r = http
        .post(format!("{}/api/providers", a.url))
        .json(&conn)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // B learns the new node through Redis.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (path, body) = clients::request(Format::OpenAiChat, "up/m-1", "hi", false, false);
        let r = http
            .post(format!("{}{path}", b.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "B never served the new node: {}",
            r.status()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(1));
    let mut loads = Vec::new();
    for _ in 0..4 {
        for url in [&a.url, &b.url] {
            loads.push(load(url.clone(), stop.clone(), answered.clone()));
        }
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    b.signal("KILL");
    assert!(b.wait_exit(Duration::from_secs(5)).is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for l in loads {
        l.await.unwrap();
    }
    let answered = answered.load(Ordering::Relaxed);
    let journal = dir_b.path().join("usage.journal");
    let left = std::fs::read_to_string(&journal)
        .unwrap_or_default()
        .lines()
        .count();
    println!("{answered} requests answered; the killed instance's journal held {left} rows");

    // A stops cleanly (it flushes); B starts again on its data directory and stores what its
    // journal kept.
    let mut a = a;
    a.signal("TERM");
    assert!(
        a.wait_exit(Duration::from_secs(15)).is_some(),
        "A did not stop"
    );
    let b = GatewayProcess::spawn(Path::new(BIN), dir_b.path(), &vars).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows = usage_rows(&database).await;
        if rows as usize >= answered || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let upstream = mock.received().len();
    println!("{rows} usage rows, {upstream} upstream calls");
    assert!(
        rows as usize >= answered,
        "{answered} answered but {rows} rows"
    );
    assert!(
        rows as usize <= upstream,
        "{rows} rows for {upstream} upstream calls"
    );
    assert!(
        upstream - rows as usize <= 8,
        "only requests cut by the kill may lack a row: {upstream} calls, {rows} rows"
    );
    drop(b);
}
