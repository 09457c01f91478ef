//! Real forward proxies for tests: an HTTP proxy (absolute-form requests and `CONNECT`) and a
//! SOCKS5 proxy (no authentication, or username/password), each on `127.0.0.1:0`, recording
//! every target they connected to so a test can prove which proxy a request went through.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy; dropping it stops accepting.
pub struct TestProxy {
    pub addr: SocketAddr,
    targets: Arc<Mutex<Vec<String>>>,
    /// Local addresses of the proxy's own connections to targets: what a target sees as peer.
    outbound: Arc<Mutex<Vec<SocketAddr>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProxy {
    /// The `host:port` targets this proxy has connected to, in order.
    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }

    /// Whether a request that reached the mock from `peer` came through this proxy.
    pub fn carried(&self, peer: Option<SocketAddr>) -> bool {
        peer.is_some_and(|p| self.outbound.lock().unwrap().contains(&p))
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// An HTTP proxy.
    pub async fn http() -> anyhow::Result<Self> {
        Self::serve(|client, targets, outbound| async move {
            http_session(client, targets, outbound).await
        })
        .await
    }

    /// A SOCKS5 proxy; with `credentials`, clients must authenticate with them.
    pub async fn socks5(credentials: Option<(&str, &str)>) -> anyhow::Result<Self> {
        let credentials = credentials.map(|(u, p)| (u.to_owned(), p.to_owned()));
        Self::serve(move |client, targets, outbound| {
            let credentials = credentials.clone();
            async move { socks5_session(client, targets, outbound, credentials).await }
        })
        .await
    }

    async fn serve<F, Fut>(session: F) -> anyhow::Result<Self>
    where
        F: Fn(TcpStream, Arc<Mutex<Vec<String>>>, Arc<Mutex<Vec<SocketAddr>>>) -> Fut
            + Send
            + Sync
            + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let targets = Arc::new(Mutex::new(Vec::new()));
        let outbound = Arc::new(Mutex::new(Vec::new()));
        let (recorded, recorded_out) = (targets.clone(), outbound.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let fut = session(client, recorded.clone(), recorded_out.clone());
                tokio::spawn(async move {
                    let _ = fut.await;
                });
            }
        });
        Ok(Self {
            addr,
            targets,
            outbound,
            task,
        })
    }
}

/// Reads the request head (up to the blank line) byte by byte, so nothing after it is lost.
async fn read_head(stream: &mut TcpStream) -> anyhow::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 {
            anyhow::bail!("client closed before sending a request");
        }
        head.push(byte[0]);
        anyhow::ensure!(head.len() < 64 * 1024, "request head too long");
    }
    Ok(head)
}

async fn http_session(
    mut client: TcpStream,
    targets: Arc<Mutex<Vec<String>>>,
    outbound: Arc<Mutex<Vec<SocketAddr>>>,
) -> anyhow::Result<()> {
    let head = read_head(&mut client).await?;
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut parts = text.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let authority = if method == "CONNECT" {
        target.clone()
    } else {
        // Absolute form: http://host:port/path
        let rest = target
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("not an absolute URI: {target}"))?;
        rest.split('/').next().unwrap_or_default().to_owned()
    };
    targets.lock().unwrap().push(authority.clone());
    let mut upstream = TcpStream::connect(&authority).await?;
    outbound.lock().unwrap().push(upstream.local_addr()?);
    if method == "CONNECT" {
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
    } else {
        // Servers accept absolute-form request lines, so the head is forwarded as it came.
        upstream.write_all(&head).await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn socks5_session(
    mut client: TcpStream,
    targets: Arc<Mutex<Vec<String>>>,
    outbound: Arc<Mutex<Vec<SocketAddr>>>,
    credentials: Option<(String, String)>,
) -> anyhow::Result<()> {
    let mut greeting = [0u8; 2];
    client.read_exact(&mut greeting).await?;
    anyhow::ensure!(greeting[0] == 5, "not SOCKS5");
    let mut methods = vec![0u8; greeting[1] as usize];
    client.read_exact(&mut methods).await?;
    match &credentials {
        None => client.write_all(&[5, 0]).await?,
        Some((user, pass)) => {
            anyhow::ensure!(
                methods.contains(&2),
                "client offered no username/password auth"
            );
            client.write_all(&[5, 2]).await?;
            let mut version_and_len = [0u8; 2];
            client.read_exact(&mut version_and_len).await?;
            let mut u = vec![0u8; version_and_len[1] as usize];
            client.read_exact(&mut u).await?;
            let mut plen = [0u8; 1];
            client.read_exact(&mut plen).await?;
            let mut p = vec![0u8; plen[0] as usize];
            client.read_exact(&mut p).await?;
            let ok = u == user.as_bytes() && p == pass.as_bytes();
            client.write_all(&[1, if ok { 0 } else { 1 }]).await?;
            anyhow::ensure!(ok, "bad SOCKS5 credentials");
        }
    }
    let mut request = [0u8; 4];
    client.read_exact(&mut request).await?;
    anyhow::ensure!(request[1] == 1, "only CONNECT is supported");
    let host = match request[3] {
        1 => {
            let mut ip = [0u8; 4];
            client.read_exact(&mut ip).await?;
            std::net::Ipv4Addr::from(ip).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            client.read_exact(&mut len).await?;
            let mut name = vec![0u8; len[0] as usize];
            client.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).into_owned()
        }
        4 => {
            let mut ip = [0u8; 16];
            client.read_exact(&mut ip).await?;
            format!("[{}]", std::net::Ipv6Addr::from(ip))
        }
        other => anyhow::bail!("unknown address type {other}"),
    };
    let mut port = [0u8; 2];
    client.read_exact(&mut port).await?;
    let authority = format!("{host}:{}", u16::from_be_bytes(port));
    targets.lock().unwrap().push(authority.clone());
    let mut upstream = TcpStream::connect(&authority).await?;
    outbound.lock().unwrap().push(upstream.local_addr()?);
    client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
