//! The mock upstream as a standalone server, for tests written in other languages (the Python
//! SDK tests) and for manual runs: `mock-upstream [--port N]`. Prints its URL, then serves until
//! killed. Control it over HTTP: `POST /__mock/script`, `GET /__mock/received`, `POST /__mock/reset`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test tool")]

use omniroute_e2e::MockUpstream;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut port = 0u16;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                port = args
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--port needs a value"))?
                    .parse()?
            }
            other => anyhow::bail!("unknown argument '{other}' (usage: mock-upstream [--port N])"),
        }
    }
    let mock = MockUpstream::start_on(([127, 0, 0, 1], port).into()).await?;
    println!("mock upstream listening on {}", mock.url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
