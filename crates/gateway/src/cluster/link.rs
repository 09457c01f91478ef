//! Connections to Redis. `Link`: one connection shared by every caller, commands pipelined and
//! replies matched in order; every call is bounded by a short timeout, and while the server is
//! away calls fail at once, so a caller falls back to local state instead of waiting. A
//! background task reconnects with backoff. `subscribe`: a second connection that delivers the
//! messages of one channel and says when it (re)joined, so the receiver can catch up.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, oneshot};

use super::resp::{self, Reply};

/// The longest one command may take before Redis counts as unreachable.
pub const CALL_TIMEOUT: Duration = Duration::from_millis(250);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// Where Redis is, from `REDIS_URL` (`redis://[[user]:password@]host[:port][/db]`).
#[derive(Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub db: u32,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redis://{}:{}/{}", self.host, self.port, self.db)
    }
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url.trim().strip_prefix("redis://").ok_or(
            "must start with redis:// (TLS, rediss://, is not supported: use a TLS tunnel)",
        )?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, hostport) = match authority.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, authority),
        };
        let (username, password) = match credentials {
            None => (None, None),
            Some(c) => match c.split_once(':') {
                Some((u, p)) => ((!u.is_empty()).then(|| u.to_owned()), Some(p.to_owned())),
                None => (Some(c.to_owned()), None),
            },
        };
        // `[v6 address]:port`, `host:port`, or either without a port.
        let (host, port) = match hostport.strip_prefix('[') {
            Some(v6) => {
                let (host, rest) = v6.split_once(']').ok_or("has an unclosed [")?;
                (host, rest.strip_prefix(':'))
            }
            None => match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            },
        };
        let port = match port {
            Some(p) => p.parse().map_err(|_| format!("has a bad port {p:?}"))?,
            None => 6379,
        };
        if host.is_empty() {
            return Err("names no host".into());
        }
        let db = match path.split('?').next().unwrap_or("") {
            "" => 0,
            d => d
                .parse()
                .map_err(|_| format!("has a bad database number {d:?}"))?,
        };
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            username,
            password,
            db,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("Redis is unreachable")]
    Down,
    #[error("Redis did not answer within {} ms", CALL_TIMEOUT.as_millis())]
    Timeout,
    #[error("Redis refused the command: {0}")]
    Refused(String),
}

type Pending = oneshot::Sender<Result<Reply, LinkError>>;
/// A command's bytes and where its reply goes.
type Command = (Vec<u8>, Pending);

struct Inner {
    target: Target,
    sender: Mutex<Option<mpsc::UnboundedSender<Command>>>,
    up: AtomicBool,
    last_error: Mutex<Option<String>>,
    /// Asks the connection task to drop a connection that stopped answering.
    kill: Notify,
}

/// A shared, self-healing connection; cheap to clone.
#[derive(Clone)]
pub struct Link(Arc<Inner>);

impl Link {
    /// Starts connecting in the background; calls fail fast until the first connection is up.
    pub fn start(target: Target) -> Self {
        let link = Self(Arc::new(Inner {
            target,
            sender: Mutex::new(None),
            up: AtomicBool::new(false),
            last_error: Mutex::new(None),
            kill: Notify::new(),
        }));
        let task = link.clone();
        #[allow(clippy::disallowed_methods, reason = "the link's own connection task")]
        tokio::spawn(async move { task.run().await });
        link
    }

    pub fn is_up(&self) -> bool {
        self.0.up.load(Ordering::Acquire)
    }

    pub fn last_error(&self) -> Option<String> {
        lock(&self.0.last_error).clone()
    }

    /// Runs one command. A reply of the error type is `Refused`.
    pub async fn call(&self, args: &[&[u8]]) -> Result<Reply, LinkError> {
        let (tx, rx) = oneshot::channel();
        {
            let sender = lock(&self.0.sender);
            let sender = sender.as_ref().ok_or(LinkError::Down)?;
            sender
                .send((resp::encode(args), tx))
                .map_err(|_| LinkError::Down)?;
        }
        match tokio::time::timeout(CALL_TIMEOUT, rx).await {
            Ok(Ok(Ok(Reply::Error(e)))) => Err(LinkError::Refused(e)),
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(LinkError::Down),
            Err(_) => {
                // Only a connection serving now is dropped: a stored permit would drop the next.
                self.0.kill.notify_waiters();
                Err(LinkError::Timeout)
            }
        }
    }

    fn set_down(&self, error: String) {
        *lock(&self.0.sender) = None;
        if self.0.up.swap(false, Ordering::AcqRel) {
            tracing::warn!(error = %error, "Redis unreachable: shared state falls back to this instance's own");
        }
        *lock(&self.0.last_error) = Some(error);
    }

    async fn run(self) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match connect(&self.0.target).await {
                Ok(stream) => {
                    backoff = Duration::from_millis(100);
                    let (tx, rx) = mpsc::unbounded_channel();
                    *lock(&self.0.sender) = Some(tx);
                    self.0.up.store(true, Ordering::Release);
                    tracing::info!(target = ?self.0.target, "connected to Redis: live state is shared");
                    let error = self.serve(stream, rx).await;
                    self.set_down(error);
                }
                Err(e) => self.set_down(e),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Writes commands and hands out replies in order until the connection breaks; returns why.
    async fn serve(
        &self,
        stream: TcpStream,
        mut commands: mpsc::UnboundedReceiver<Command>,
    ) -> String {
        let (mut reader, mut writer) = stream.into_split();
        let mut pending: VecDeque<Pending> = VecDeque::new();
        let mut buf = Vec::with_capacity(16 << 10);
        loop {
            tokio::select! {
                command = commands.recv() => {
                    let Some((bytes, reply)) = command else { return "closed".into() };
                    if let Err(e) = writer.write_all(&bytes).await {
                        let _ = reply.send(Err(LinkError::Down));
                        return e.to_string();
                    }
                    pending.push_back(reply);
                }
                read = reader.read_buf(&mut buf) => {
                    match read {
                        Ok(0) => return "Redis closed the connection".into(),
                        Ok(_) => {}
                        Err(e) => return e.to_string(),
                    }
                    loop {
                        match resp::parse(&buf) {
                            Ok(Some((reply, used))) => {
                                buf.drain(..used);
                                if let Some(waiter) = pending.pop_front() {
                                    let _ = waiter.send(Ok(reply));
                                }
                            }
                            Ok(None) => break,
                            Err(e) => return e.to_string(),
                        }
                    }
                }
                () = self.0.kill.notified() => return "Redis stopped answering".into(),
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A connection, authenticated and on the right database.
async fn connect(target: &Target) -> Result<TcpStream, String> {
    let work = async {
        let mut stream = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|e| format!("cannot connect to {target:?}: {e}"))?;
        let _ = stream.set_nodelay(true);
        if let Some(password) = &target.password {
            let mut args: Vec<&[u8]> = vec![b"AUTH"];
            if let Some(user) = &target.username {
                args.push(user.as_bytes());
            }
            args.push(password.as_bytes());
            expect_ok(&mut stream, &args, "AUTH").await?;
        }
        if target.db != 0 {
            let db = target.db.to_string();
            expect_ok(&mut stream, &[b"SELECT", db.as_bytes()], "SELECT").await?;
        }
        Ok(stream)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, work)
        .await
        .map_err(|_| format!("no connection to {target:?} within {CONNECT_TIMEOUT:?}"))?
}

/// Sends one command on a connection of its own and reads its reply.
async fn expect_ok(stream: &mut TcpStream, args: &[&[u8]], what: &str) -> Result<Reply, String> {
    stream
        .write_all(&resp::encode(args))
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    loop {
        if let Some((reply, _)) = resp::parse(&buf).map_err(|e| e.to_string())? {
            return match reply {
                Reply::Error(e) => Err(format!("Redis refused {what}: {e}")),
                other => Ok(other),
            };
        }
        let n = stream.read_buf(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("Redis closed the connection during {what}"));
        }
    }
}

/// What a subscription delivers.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// (Re)subscribed: what was published meanwhile is missed, so catch up.
    Joined,
    /// The connection broke; messages are missed until the next `Joined`.
    Left,
    Message(Vec<u8>),
}

/// The messages of `channel`, and when the subscription joins and leaves. Runs until the
/// receiver is dropped.
pub fn subscribe(target: Target, channel: String) -> mpsc::Receiver<Delivery> {
    let (tx, rx) = mpsc::channel(1024);
    #[allow(
        clippy::disallowed_methods,
        reason = "the subscription's own connection task"
    )]
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        while !tx.is_closed() {
            if let Ok(mut stream) = connect(&target).await
                && expect_ok(
                    &mut stream,
                    &[b"SUBSCRIBE", channel.as_bytes()],
                    "SUBSCRIBE",
                )
                .await
                .is_ok()
            {
                backoff = Duration::from_millis(100);
                if tx.send(Delivery::Joined).await.is_err() {
                    return;
                }
                if !deliver(&mut stream, &tx).await || tx.send(Delivery::Left).await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    });
    rx
}

/// Forwards `message` payloads until the connection breaks (`true`) or the receiver is gone.
async fn deliver(stream: &mut TcpStream, tx: &mpsc::Sender<Delivery>) -> bool {
    let mut buf = Vec::with_capacity(16 << 10);
    loop {
        match stream.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return true,
            Ok(_) => {}
        }
        loop {
            match resp::parse(&buf) {
                Ok(Some((reply, used))) => {
                    buf.drain(..used);
                    if let Reply::Array(Some(mut items)) = reply
                        && items.len() == 3
                        && items[0] == Reply::Bulk(Some(b"message".to_vec()))
                        && let Some(payload) = items.pop().and_then(Reply::into_bytes)
                        && tx.send(Delivery::Message(payload)).await.is_err()
                    {
                        return false;
                    }
                }
                Ok(None) => break,
                Err(_) => return true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redis_urls() {
        let t = Target::parse("redis://:pw@cache.local:6380/2").unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.username.as_deref(),
                t.password.as_deref(),
                t.db
            ),
            ("cache.local", 6380, None, Some("pw"), 2)
        );
        let t = Target::parse("redis://omni:pw@[::1]/").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.username.as_deref()),
            ("::1", 6379, Some("omni"))
        );
        for bad in [
            "rediss://h",
            "http://h",
            "redis://",
            "redis://h:x",
            "redis://h/db",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        // The password never shows in logs.
        assert_eq!(
            format!("{:?}", Target::parse("redis://:s3cret@h").unwrap()),
            "redis://h:6379/0"
        );
    }
}
