//! `with-services <command> [args…]`: runs the command with a PostgreSQL server and a Redis
//! server of its own (temporary, loopback), named to it in `OMNIROUTE_TEST_POSTGRES` (a URL of
//! the server's admin database; each test creates its own database there) and
//! `OMNIROUTE_TEST_REDIS`. Exits with the command's status; the servers go with it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    reason = "test tool"
)]

use omniroute_e2e::services::{Postgres, Redis};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: with-services <command> [args…]");
        std::process::exit(2);
    };
    let postgres = Postgres::start();
    let redis = Redis::start();
    let status = std::process::Command::new(program)
        .args(args)
        .env("OMNIROUTE_TEST_POSTGRES", postgres.admin_url())
        .env("OMNIROUTE_TEST_REDIS", redis.url())
        .status()
        .expect("cannot run the command");
    drop(postgres);
    drop(redis);
    std::process::exit(status.code().unwrap_or(1));
}
