//! `bench-mock`: the benchmark's mock upstream (see `omniroute_bench::mock`). Prints
//! `bench-mock listening on http://ADDR` and serves until killed, on one thread so that it
//! shares its core with the load generator predictably.
//!
//! Flags: `--port` (0 = any), `--latency-ms` (50), `--chunks` (50), `--gap-ms` (10).
#![allow(
    clippy::expect_used,
    reason = "a benchmark tool: failing to start is reported by the panic message"
)]

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use omniroute_bench::args::Args;
use omniroute_bench::mock::{Mock, Pacing};
use tokio::net::TcpListener;

fn main() {
    let args = Args::parse(std::env::args().skip(1)).expect("bad arguments");
    let port: u16 = args.get("port", 0).expect("--port");
    let pacing = Pacing {
        latency: Duration::from_millis(args.get("latency-ms", 50).expect("--latency-ms")),
        chunks: args.get("chunks", 50).expect("--chunks"),
        gap: Duration::from_millis(args.get("gap-ms", 10).expect("--gap-ms")),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(serve(SocketAddr::from(([127, 0, 0, 1], port)), pacing));
}

#[allow(
    clippy::disallowed_methods,
    reason = "the mock has no graceful shutdown: it is killed, connections and all"
)]
async fn serve(addr: SocketAddr, pacing: Pacing) {
    let listener = TcpListener::bind(addr).await.expect("bind");
    let local = listener.local_addr().expect("local address");
    println!("bench-mock listening on http://{local}");
    std::io::stdout().flush().expect("stdout");
    let mock = Mock::new(pacing);
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let _ = socket.set_nodelay(true);
        let mock = mock.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let mock = mock.clone();
                async move { Ok::<_, std::convert::Infallible>(mock.handle(request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(socket), service)
                .await;
        });
    }
}
