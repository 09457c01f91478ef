// Generated from the Rust types of the management API by
// crates/gateway/tests/api_types.rs — do not edit; run
// `UPDATE_API_TYPES=1 cargo test -p omniroute-gateway --test api_types` after changing them.

export type DeviceId = string;
export type Kind = "connection" | "credential" | "combo" | "alias" | "custom-model" | "provider-node" | "pricing" | "budget" | "settings";
export type FailureKind = "unreachable" | "timeout" | "hub-rejected" | "cannot-open" | "corrupt" | "local";
export type SyncFailure = { atMs: number, kind: FailureKind, message: string, };
export type VersionSummary = { device: DeviceId, 
/**
 * The version's wall time (its stamp's).
 */
atMs: number, deleted: boolean, };
export type ConflictSummary = { id: string, kind: Kind, recordId: string, 
/**
 * The version in effect.
 */
winner: VersionSummary, 
/**
 * The version that lost, which can be restored.
 */
loser: VersionSummary, };
export type DeviceSummary = { device: DeviceId, 
/**
 * When it last wrote its snapshot, by its own clock.
 */
writtenAtMs: number, 
/**
 * Records in its snapshot, tombstones included.
 */
records: number, };
export type ClockWarning = { device: DeviceId, 
/**
 * The furthest ahead of its held-back records.
 */
aheadMs: number, records: number, };
export type SyncStatus = { 
/**
 * Whether a hub and a passphrase are configured.
 */
enabled: boolean, 
/**
 * This device's id in the group.
 */
device: DeviceId | null, 
/**
 * Whether credentials are synced.
 */
credentials: boolean, lastAttemptMs: number | null, lastSuccessMs: number | null, 
/**
 * The last failure, cleared by a success.
 */
lastError: SyncFailure | null, 
/**
 * Failures in a row; their count sets the backoff.
 */
consecutiveFailures: number, 
/**
 * When the next run is due.
 */
nextRunMs: number | null, 
/**
 * Local edits not yet written to the hub.
 */
pendingChanges: number, devices: Array<DeviceSummary>, clockWarnings: Array<ClockWarning>, conflicts: Array<ConflictSummary>, };
export type SyncView = { status: SyncStatus, 
/**
 * The hub or WebDAV folder, without any password in it.
 */
url: string | null, 
/**
 * Whether this OmniRoute is itself a hub for other devices (`SYNC_HUB`).
 */
hub: boolean, };
export type PairingCodeView = { 
/**
 * Shown once: type it on the other devices (Settings → Sync → Join).
 */
code: string, view: SyncView, };
