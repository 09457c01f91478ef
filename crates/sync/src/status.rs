//! What `GET /api/sync/status` answers, and the schedule of sync runs that goes with it: after
//! a local change (debounced), every few minutes, and after a failure with a growing backoff so
//! a hub that is down is not hammered. Pure: time is passed in; the gateway owns the timer.

use serde::{Deserialize, Serialize};

use crate::error::SyncError;
use crate::hlc::DeviceId;
use crate::merge::{Conflict, Deferred};
use crate::record::Kind;

/// When sync runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncSchedule {
    /// Quiet time after a local change before its run, so a burst of edits is one run.
    pub debounce_ms: u64,
    /// Between runs when nothing happens, to pick up other devices' changes.
    pub interval_ms: u64,
    /// The wait after the first failure; doubled after each further one.
    pub first_retry_ms: u64,
    /// The longest wait between retries.
    pub max_retry_ms: u64,
}

impl Default for SyncSchedule {
    fn default() -> Self {
        Self {
            debounce_ms: 2_000,
            interval_ms: 5 * 60_000,
            first_retry_ms: 10_000,
            max_retry_ms: 15 * 60_000,
        }
    }
}

/// Why a run failed, for the dashboard to word and the tray to flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The hub did not answer (refused, DNS, TLS).
    Unreachable,
    /// The hub did not finish within the run's time limit.
    Timeout,
    /// The hub answered with an error (authentication, full disk, not a sync hub).
    HubRejected,
    /// A snapshot did not open: another passphrase in the same group, or altered bytes.
    CannotOpen,
    /// A snapshot opened but is not valid, or the hub answered something unreadable.
    Corrupt,
    /// This device could not read or write its own database.
    Local,
}

impl SyncError {
    /// How a failure of this crate shows in the status.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            SyncError::CannotOpen => FailureKind::CannotOpen,
            SyncError::UnsupportedFormat(_)
            | SyncError::Truncated
            | SyncError::Corrupt(_)
            | SyncError::InvalidDeviceId
            | SyncError::InvalidStamp(_) => FailureKind::Corrupt,
            SyncError::WeakPassphrase { .. }
            | SyncError::InvalidPairingCode(_)
            | SyncError::KeyDerivation(_)
            | SyncError::Random(_)
            | SyncError::Encode(_) => FailureKind::Local,
        }
    }
}

/// The last failed run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncFailure {
    pub at_ms: u64,
    pub kind: FailureKind,
    pub message: String,
}

/// One side of a conflict, without its body (which may hold a credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct VersionSummary {
    pub device: DeviceId,
    /// The version's wall time (its stamp's).
    pub at_ms: u64,
    pub deleted: bool,
}

/// A conflict as listed in the status; its id restores or dismisses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ConflictSummary {
    pub id: String,
    pub kind: Kind,
    pub record_id: String,
    /// The version in effect.
    pub winner: VersionSummary,
    /// The version that lost, which can be restored.
    pub loser: VersionSummary,
}

impl From<&Conflict> for ConflictSummary {
    fn from(conflict: &Conflict) -> Self {
        let summary = |record: &crate::record::Record| VersionSummary {
            device: record.device(),
            at_ms: record.stamp.wall_ms,
            deleted: record.is_tombstone(),
        };
        Self {
            id: conflict.id(),
            kind: conflict.kind,
            record_id: conflict.record_id.clone(),
            winner: summary(&conflict.winner),
            loser: summary(&conflict.loser),
        }
    }
}

/// A device whose records are held back because its clock runs ahead of this one's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ClockWarning {
    pub device: DeviceId,
    /// The furthest ahead of its held-back records.
    pub ahead_ms: u64,
    pub records: u32,
}

/// Groups held-back records by device for the status.
pub fn clock_warnings(deferred: &[Deferred]) -> Vec<ClockWarning> {
    let mut warnings: Vec<ClockWarning> = Vec::new();
    for record in deferred {
        match warnings
            .iter_mut()
            .find(|warning| warning.device == record.device())
        {
            Some(warning) => {
                warning.ahead_ms = warning.ahead_ms.max(record.ahead_ms);
                warning.records = warning.records.saturating_add(1);
            }
            None => warnings.push(ClockWarning {
                device: record.device(),
                ahead_ms: record.ahead_ms,
                records: 1,
            }),
        }
    }
    warnings
}

/// Another device of the group, as last read from the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSummary {
    pub device: DeviceId,
    /// When it last wrote its snapshot, by its own clock.
    pub written_at_ms: u64,
    /// Records in its snapshot, tombstones included.
    pub records: u32,
}

/// The sync state of this device.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Whether a hub and a passphrase are configured.
    pub enabled: bool,
    /// This device's id in the group.
    pub device: Option<DeviceId>,
    /// Whether credentials are synced.
    pub credentials: bool,
    pub last_attempt_ms: Option<u64>,
    pub last_success_ms: Option<u64>,
    /// The last failure, cleared by a success.
    pub last_error: Option<SyncFailure>,
    /// Failures in a row; their count sets the backoff.
    pub consecutive_failures: u32,
    /// When the next run is due.
    pub next_run_ms: Option<u64>,
    /// Local edits not yet written to the hub.
    pub pending_changes: u32,
    pub devices: Vec<DeviceSummary>,
    pub clock_warnings: Vec<ClockWarning>,
    pub conflicts: Vec<ConflictSummary>,
}

impl SyncStatus {
    /// A run is starting.
    pub fn started(&mut self, now_ms: u64) {
        self.last_attempt_ms = Some(now_ms);
    }

    /// A run finished: the next is a full interval away.
    pub fn succeeded(&mut self, now_ms: u64, schedule: &SyncSchedule) {
        self.last_success_ms = Some(now_ms);
        self.last_error = None;
        self.consecutive_failures = 0;
        self.next_run_ms = Some(now_ms.saturating_add(schedule.interval_ms));
    }

    /// A run failed: the next waits `first_retry_ms`, doubling per failure up to `max_retry_ms`.
    pub fn failed(
        &mut self,
        now_ms: u64,
        kind: FailureKind,
        message: impl Into<String>,
        schedule: &SyncSchedule,
    ) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        self.last_error = Some(SyncFailure {
            at_ms: now_ms,
            kind,
            message: message.into(),
        });
        let doublings = self.consecutive_failures.saturating_sub(1).min(32);
        let wait = schedule
            .first_retry_ms
            .saturating_mul(1u64 << doublings)
            .min(schedule.max_retry_ms);
        self.next_run_ms = Some(now_ms.saturating_add(wait));
    }

    /// Something changed locally: run after the debounce — unless failures are backing off, in
    /// which case the retry schedule stands (the change is counted as pending meanwhile).
    pub fn local_change(&mut self, now_ms: u64, schedule: &SyncSchedule) {
        if self.consecutive_failures > 0 {
            return;
        }
        let soon = now_ms.saturating_add(schedule.debounce_ms);
        self.next_run_ms = Some(self.next_run_ms.map_or(soon, |next| next.min(soon)));
    }

    /// Whether a run is due at `now_ms`.
    pub fn due(&self, now_ms: u64) -> bool {
        self.enabled && self.next_run_ms.is_none_or(|next| now_ms >= next)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn failures_back_off_and_a_success_resets() {
        let schedule = SyncSchedule::default();
        let mut status = SyncStatus {
            enabled: true,
            ..SyncStatus::default()
        };
        assert!(status.due(0));
        let mut waits = Vec::new();
        for _ in 0..8 {
            status.failed(1_000, FailureKind::Timeout, "hub slow", &schedule);
            waits.push(status.next_run_ms.unwrap() - 1_000);
        }
        assert_eq!(&waits[..4], &[10_000, 20_000, 40_000, 80_000]);
        assert_eq!(waits[7], schedule.max_retry_ms);
        status.local_change(2_000, &schedule);
        assert_eq!(
            status.next_run_ms,
            Some(1_000 + schedule.max_retry_ms),
            "backoff stands"
        );
        assert!(!status.due(2_000));

        status.succeeded(5_000, &schedule);
        assert_eq!(status.last_error, None);
        assert_eq!(status.next_run_ms, Some(5_000 + schedule.interval_ms));
        status.local_change(6_000, &schedule);
        assert_eq!(status.next_run_ms, Some(8_000));
        assert!(status.due(8_000));
        assert!(!SyncStatus::default().due(8_000), "disabled never runs");
    }

    #[test]
    fn typescript_declarations_name_what_the_json_carries() {
        use ts_rs::TS;
        let cfg = ts_rs::Config::new().with_large_int("number");
        let status = SyncStatus::decl(&cfg);
        assert!(status.contains("lastSuccessMs: number | null"), "{status}");
        assert!(status.contains("device: DeviceId | null"), "{status}");
        assert_eq!(DeviceId::decl(&cfg), "type DeviceId = string;");
        assert_eq!(crate::hlc::Stamp::decl(&cfg), "type Stamp = string;");
        let conflict = crate::merge::Conflict::decl(&cfg);
        assert!(conflict.contains("recordId: string"), "{conflict}");
        assert!(crate::record::Record::decl(&cfg).contains("body: unknown"));
        assert!(FailureKind::decl(&cfg).contains("\"hub-rejected\""));
    }

    #[test]
    fn status_serializes_in_camel_case() {
        let mut status = SyncStatus::default();
        status.failed(7, FailureKind::HubRejected, "401", &SyncSchedule::default());
        let value = serde_json::to_value(&status).unwrap();
        assert_eq!(
            value["lastError"],
            json!({"atMs": 7, "kind": "hub-rejected", "message": "401"})
        );
        assert_eq!(value["consecutiveFailures"], json!(1));
        assert_eq!(
            SyncError::CannotOpen.failure_kind(),
            FailureKind::CannotOpen
        );
    }
}
