// Generated from the Rust types of the management API by
// crates/gateway/tests/api_types.rs — do not edit; run
// `UPDATE_API_TYPES=1 cargo test -p omniroute-gateway --test api_types` after changing them.

export type ApiKey = { id: string, name: string, 
/**
 * The key's last characters, so a user can tell keys apart.
 */
keyHint: string, createdAt: number, lastUsedAt: number | null, };
export type Created = { id: string, name: string, 
/**
 * The key itself: shown this once.
 */
key: string, keyHint: string, createdAt: number, };
export type UsageRow = { id: number | null, 
/**
 * Unix ms when the request arrived.
 */
ts: number, apiKeyId: string | null, combo: string | null, provider: string | null, connectionId: string | null, 
/**
 * The model that served (`provider/model`), else the one asked for.
 */
model: string, clientFormat: string, stream: boolean, inputTokens: number, outputTokens: number, cachedTokens: number, 
/**
 * Input tokens written to the provider's prompt cache.
 */
cacheWriteTokens: number, reasoningTokens: number, costUsd: number, latencyMs: number, ttftMs: number | null, status: number, attempts: number, 
/**
 * JSON `[{target, reason}]` of the targets skipped or failed before the answer.
 */
fallbackReasons: string | null, 
/**
 * `upstream`, `cache` or `replay`.
 */
source: string, };
export type UsageTotals = { 
/**
 * The group's value (absent for the overall totals).
 */
group: string | null, requests: number, errors: number, inputTokens: number, outputTokens: number, cachedTokens: number, cacheWriteTokens: number, reasoningTokens: number, costUsd: number, avgLatencyMs: number, };
export type RequestRow = { keyName: string | null, id: number | null, 
/**
 * Unix ms when the request arrived.
 */
ts: number, apiKeyId: string | null, combo: string | null, provider: string | null, connectionId: string | null, 
/**
 * The model that served (`provider/model`), else the one asked for.
 */
model: string, clientFormat: string, stream: boolean, inputTokens: number, outputTokens: number, cachedTokens: number, 
/**
 * Input tokens written to the provider's prompt cache.
 */
cacheWriteTokens: number, reasoningTokens: number, costUsd: number, latencyMs: number, ttftMs: number | null, status: number, attempts: number, 
/**
 * JSON `[{target, reason}]` of the targets skipped or failed before the answer.
 */
fallbackReasons: string | null, 
/**
 * `upstream`, `cache` or `replay`.
 */
source: string, };
export type UsageReport = { totals: UsageTotals, groupBy: string | null, groups: Array<UsageTotals>, requests: Array<RequestRow>, };
export type RequestLog = { id: number, usageId: number | null, ts: number, requestBody: string | null, responseBody: string | null, };
export type Period = "daily" | "weekly" | "monthly";
export type BudgetState = "ok" | "warning" | "exceeded";
export type BudgetStatus = { keyId: string, keyName: string, period: Period, limit: number, spent: number, remaining: number, 
/**
 * Spent as a share of the limit, in percent.
 */
percent: number, state: BudgetState, resetsAt: string, };
export type Price = { inputPer1k: number, outputPer1k: number, };
export type Source = "custom" | "catalog" | "included-tier" | "unknown";
export type PriceRow = { model: string, source: Source, inputPer1k: number, outputPer1k: number, };
export type CacheSettings = { enabled: boolean, ttlSeconds: number, maxEntries: number, maxMegabytes: number, };
export type LogSettings = { 
/**
 * Bodies older than this are deleted.
 */
maxAgeDays: number, 
/**
 * The newest bodies are kept within this total size.
 */
maxMegabytes: number, 
/**
 * Longest body kept per request; longer ones are cut with a marker.
 */
maxBodyKilobytes: number, };
export type CacheStats = { entries: number, bytes: number, hits: number, misses: number, };
export type CacheReport = { settings: CacheSettings, entries: number, bytes: number, hits: number, misses: number, };
export type LatencySummary = { 
/**
 * Every recorded request, whatever its status.
 */
count: number, errors: number, 
/**
 * Latency percentiles of successful requests (null before the first one).
 */
p50_ms: number | null, p95_ms: number | null, p99_ms: number | null, 
/**
 * Time to first token of successful streams.
 */
ttft_p50_ms: number | null, ttft_p95_ms: number | null, ttft_p99_ms: number | null, };
export type TelemetryReport = { providers: { [key in string]: LatencySummary }, models: { [key in string]: LatencySummary }, };
export type HealthReport = { 
/**
 * `ok`, or `degraded` when the database does not answer.
 */
status: string, version: string, uptime_s: number, data_dir: string, rss_bytes: number | null, 
/**
 * `ok` after a real query, else the error.
 */
db: string, schema_version: number | null, secrets_backend: string, 
/**
 * Latency percentiles and request counts per provider since start.
 */
latency: { [key in string]: LatencySummary }, 
/**
 * Response cache entries, size, hits and misses since start.
 */
cache: CacheStats, };
export type Lockout = { id: string, 
/**
 * `model` (a `prefix/model` id) or `connection` (a connection id).
 */
scope: string, target: string, reason: string, 
/**
 * Unix ms; `None`: until unlocked.
 */
until: number | null, createdAt: number, };
export type Session = { ok: boolean, token: string, 
/**
 * Unix seconds.
 */
expiresAt: number, 
/**
 * Still on `INITIAL_PASSWORD`: the dashboard asks for a new one.
 */
mustChangePassword: boolean, };
export type Status = { authenticated: boolean, 
/**
 * Bound to a loopback address: `/api/*` works without a session.
 */
loopback: boolean, authRequired: boolean, 
/**
 * No password set yet and `INITIAL_PASSWORD` is the published default.
 */
defaultPassword: boolean, 
/**
 * Secrets still at their published defaults (`JWT_SECRET`, `API_KEY_SECRET`).
 */
defaultSecrets: Array<string>, };
export type Active = { name: string | null, };
