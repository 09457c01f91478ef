// Generated from the Rust types of the management API by
// crates/gateway/tests/api_types.rs — do not edit; run
// `UPDATE_API_TYPES=1 cargo test -p omniroute-gateway --test api_types` after changing them.

export type ToolId = "claude-code" | "codex" | "gemini-cli" | "openclaw" | "opencode" | "continue" | "cline" | "roo-code" | "cursor";
export type FileRole = "settings" | "env" | "legacy";
export type ConfigFileStatus = { path: string, role: FileRole, exists: boolean, };
export type Configured = { endpoint: string | null, model: string | null, 
/**
 * `sk-…abcd`, never the key.
 */
keyHint: string | null, 
/**
 * Whether the endpoint is this gateway.
 */
thisGateway: boolean, };
export type ManualSetup = { 
/**
 * Where the settings are (`Cursor Settings → Models → …`).
 */
place: string, provider: string, baseUrl: string, };
export type ToolStatus = { id: ToolId, name: string, 
/**
 * Whether Apply configures it through its files (otherwise see `manual`).
 */
fileConfigurable: boolean, installed: boolean, 
/**
 * The executable found on the PATH.
 */
executable: string | null, version: string | null, files: Array<ConfigFileStatus>, 
/**
 * Config, application and editor extension directories found.
 */
foundAt: Array<string>, 
/**
 * Where its files point it now; `None` when they name no endpoint, model or key.
 */
configured: Configured | null, 
/**
 * Why its files could not be read.
 */
error: string | null, manual: ManualSetup | null, };
export type FilePreview = { path: string, role: FileRole, existed: boolean, 
/**
 * `sha256:<hex>` of the bytes read, or `absent`.
 */
fingerprint: string, changed: boolean, 
/**
 * A unified diff with every key masked; empty when nothing changes.
 */
diff: string, };
export type Preview = { tool: ToolId, 
/**
 * Names this exact plan: the same files read and the same result give the same id, so an
 * Apply can insist on the plan the user saw.
 */
planId: string, changed: boolean, files: Array<FilePreview>, notes: Array<string>, };
export type SnapshotReason = "apply" | "restore";
export type SnapshotFile = { path: string, 
/**
 * Whether the file existed; a restore deletes the ones that did not.
 */
existed: boolean, };
export type SnapshotInfo = { id: string, timeMs: number, tool: ToolId, reason: SnapshotReason, files: Array<SnapshotFile>, };
export type Applied = { tool: ToolId, 
/**
 * The snapshot of the files as they were; `None` when nothing needed writing.
 */
snapshotId: string | null, 
/**
 * The files written.
 */
files: Array<string>, };
export type Restored = { tool: ToolId, restoredFrom: string, 
/**
 * The snapshot of the files just before the restore: restoring it undoes this one.
 */
undoSnapshotId: string, files: Array<string>, };
export type AppliedView = { applied: Applied, status: ToolStatus | null, };
export type RestoredView = { restored: Restored, status: ToolStatus | null, };
