//! Usage recording off the hot path: requests hand their row to a bounded channel; one writer
//! task stores rows in batches (one transaction each), prunes kept bodies now and then, and
//! acknowledges a flush only after everything queued before it is on disk — shutdown flushes,
//! so a graceful stop loses no row. Each row is also journaled before its answer leaves
//! (`journal`), so a gateway killed outright loses none either: the next start stores them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use omniroute_store::Store;
use omniroute_store::usage::{BodyLog, UsageRow};
use tokio::sync::{mpsc, oneshot};

use super::journal::{self, Journal};
use crate::settings::LogSettings;

/// Rows waiting for the writer before `record` falls back to a waiting send.
const QUEUE: usize = 8192;
/// Rows per transaction.
const BATCH: usize = 512;
/// How long the writer gathers rows after the first before writing them: fewer, larger
/// transactions under load; a flush does not wait.
const LINGER: Duration = Duration::from_millis(50);
/// How often kept bodies are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

enum Message {
    Row(Box<(UsageRow, Option<BodyLog>)>),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Message>,
    journal: Arc<Journal>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Row(_) => "Row",
            Self::Flush(_) => "Flush",
        })
    }
}

impl Recorder {
    /// Starts the writer task on the current runtime; `logs` reads the retention settings of
    /// the moment (they change while the gateway runs).
    /// `data_dir` holds the journal; rows an earlier run left in it are stored first.
    pub fn start(
        store: Store,
        data_dir: &Path,
        logs: impl Fn() -> LogSettings + Send + Sync + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let journal = Arc::new(Journal::open(data_dir));
        let writer = Writer {
            store,
            logs: Box::new(logs),
            journal: journal.clone(),
            data_dir: data_dir.to_path_buf(),
        };
        #[allow(
            clippy::disallowed_methods,
            reason = "the writer lives as long as the gateway; flush() is its join point"
        )]
        tokio::spawn(writer.run(rx));
        Self { tx, journal }
    }

    /// Journals and queues a row. Never waits on the request path: when the queue is full (the
    /// disk stalls), the row waits in its own task instead of being dropped.
    pub fn record(&self, mut row: UsageRow, log: Option<BodyLog>) {
        self.journal.append(&mut row, log.as_ref());
        match self.tx.try_send(Message::Row(Box::new((row, log)))) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(message)) => {
                let tx = self.tx.clone();
                #[allow(
                    clippy::disallowed_methods,
                    reason = "overflow of a full queue; bounded by the requests in flight"
                )]
                tokio::spawn(async move {
                    if tx.send(message).await.is_err() {
                        tracing::error!("usage writer gone; a usage row was lost");
                    }
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("usage writer gone; a usage row was lost");
            }
        }
    }

    /// Returns once every row queued before the call is stored.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Message::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

type Logs = Box<dyn Fn() -> LogSettings + Send + Sync>;

struct Writer {
    store: Store,
    logs: Logs,
    journal: Arc<Journal>,
    data_dir: PathBuf,
}

impl Writer {
    async fn run(self, mut rx: mpsc::Receiver<Message>) {
        self.store_left_behind().await;
        let mut batch = Vec::with_capacity(BATCH);
        let mut acks = Vec::new();
        let mut pruned = Instant::now();
        prune(&self.store, &(self.logs)()).await;
        while let Some(first) = rx.recv().await {
            let deadline = tokio::time::Instant::now() + LINGER;
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Row(row) => batch.push(*row),
                    Message::Flush(ack) => acks.push(ack),
                }
                if batch.len() < BATCH && acks.is_empty() {
                    next = tokio::time::timeout_at(deadline, rx.recv())
                        .await
                        .ok()
                        .flatten();
                } else if batch.len() < BATCH {
                    next = rx.try_recv().ok();
                }
            }
            let rows = batch.len() as u64;
            if store_batch(&self.store, &mut batch).await {
                self.journal.stored(rows);
            }
            for ack in acks.drain(..) {
                let _ = ack.send(());
            }
            if pruned.elapsed() >= PRUNE_EVERY {
                pruned = Instant::now();
                prune(&self.store, &(self.logs)()).await;
            }
        }
    }

    /// Rows an earlier run journaled (killed before storing them, perhaps): stored now, those
    /// already stored recognised by their uid.
    async fn store_left_behind(&self) {
        let left = journal::left_behind(&self.data_dir);
        if left.is_empty() {
            journal::forget_left_behind(&self.data_dir);
            return;
        }
        let total = left.len();
        let mut all_stored = true;
        for chunk in left.chunks(BATCH) {
            let mut batch = chunk.to_vec();
            all_stored &= store_batch(&self.store, &mut batch).await;
        }
        if all_stored {
            tracing::info!(
                rows = total,
                "usage rows of an earlier run's journal stored"
            );
            journal::forget_left_behind(&self.data_dir);
        }
    }
}

/// Stores and empties `batch`; whether the rows are in the database.
async fn store_batch(store: &Store, batch: &mut Vec<(UsageRow, Option<BodyLog>)>) -> bool {
    if batch.is_empty() {
        return true;
    }
    for attempt in 1..=3u64 {
        match store.insert_usage(batch).await {
            Ok(()) => {
                batch.clear();
                return true;
            }
            Err(e) if attempt < 3 => {
                tracing::warn!(error = %e, rows = batch.len(), "storing usage failed; retrying");
                tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
            }
            Err(e) => tracing::error!(
                error = %e,
                rows = batch.len(),
                "usage rows not stored; the journal keeps them for the next start"
            ),
        }
    }
    batch.clear();
    false
}

async fn prune(store: &Store, logs: &LogSettings) {
    let before = omniroute_store::now_ms() - i64::from(logs.max_age_days) * 86_400_000;
    let max_bytes =
        i64::try_from(logs.max_megabytes.saturating_mul(1024 * 1024)).unwrap_or(i64::MAX);
    match store.prune_request_logs(before, max_bytes).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "request logs pruned"),
        Err(e) => tracing::warn!(error = %e, "pruning request logs failed"),
    }
}
