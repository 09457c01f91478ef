//! What routing did for one request — the combo, each skipped or failed target, the attempt
//! that answered — kept for the usage record and, when the client asked for
//! `X-OmniRoute-Progress`, sent to it live as progress events.

use serde::Serialize;
use tokio::sync::mpsc;

/// One skipped or failed candidate, for the client's message and the usage record.
#[derive(Debug, Clone, Serialize)]
pub struct Skip {
    pub target: String,
    pub reason: String,
}

/// The account that answered.
#[derive(Debug, Clone)]
pub struct Served {
    pub provider: String,
    pub connection_id: String,
    /// `provider/model` after aliases.
    pub model: String,
    /// The chat format spoken to the upstream (`None`: a media protocol of its own).
    pub format: Option<omniroute_formats::Format>,
}

/// A step of routing as the client sees it in `event: progress`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Progress {
    /// The models the request may go to, in order.
    Plan {
        combo: Option<String>,
        targets: Vec<String>,
    },
    Attempt {
        attempt: u32,
        target: String,
        account: String,
    },
    Fallback {
        target: String,
        reason: String,
    },
    Served {
        target: String,
        account: String,
        attempts: u32,
    },
}

#[derive(Debug, Default)]
pub struct Trace {
    pub combo: Option<String>,
    pub served: Option<Served>,
    pub attempts: u32,
    pub skips: Vec<Skip>,
    progress: Option<mpsc::UnboundedSender<Progress>>,
}

impl Trace {
    pub fn with_progress(progress: mpsc::UnboundedSender<Progress>) -> Self {
        Self {
            progress: Some(progress),
            ..Self::default()
        }
    }

    /// Sends a progress event to a client that asked for them; built only then.
    pub fn note(&self, event: impl FnOnce() -> Progress) {
        if let Some(tx) = &self.progress {
            let _ = tx.send(event());
        }
    }

    pub fn skip(&mut self, target: impl Into<String>, reason: impl Into<String>) {
        let skip = Skip {
            target: target.into(),
            reason: reason.into(),
        };
        self.note(|| Progress::Fallback {
            target: skip.target.clone(),
            reason: skip.reason.clone(),
        });
        self.skips.push(skip);
    }

    /// The skips as stored in the usage row (`[{target, reason}]`), when there were any.
    pub fn reasons_json(&self) -> Option<String> {
        if self.skips.is_empty() {
            return None;
        }
        serde_json::to_string(&self.skips).ok()
    }
}
