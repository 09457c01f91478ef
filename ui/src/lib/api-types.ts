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
export type AnswerSource = "upstream" | "cache" | "replay";
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
fallbackReasons: string | null, source: AnswerSource, };
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
fallbackReasons: string | null, source: AnswerSource, };
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
export type NotificationSettings = { 
/**
 * A window reached 80 %.
 */
quotaAt80: boolean, quotaAt95: boolean, 
/**
 * A window is used up.
 */
quotaAt100: boolean, 
/**
 * A window that had reached one of those reset.
 */
quotaReset: boolean, };
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
export type ClusterStatus = { 
/**
 * Whether `REDIS_URL` is set.
 */
configured: boolean, 
/**
 * `shared` (Redis answers), `local` (Redis away: this instance's own state) or `off`.
 */
state: string, instance: string, last_error: string | null, fallbacks: number, };
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
cache: CacheStats, 
/**
 * `postgres` or `sqlite`, and where (without password).
 */
database: string, 
/**
 * Live state shared with other instances (Redis), or why not right now.
 */
shared_state: ClusterStatus, };
export type ProviderState = "healthy" | "cooldown" | "open";
export type TightestWindow = { account: string, window: string, usedFraction: number, 
/**
 * Until it resets; `None` when the provider did not say.
 */
resetsInMs: number | null, };
export type ProviderHealth = { provider: string, state: ProviderState, 
/**
 * Until the breaker may close, or until the first resting account is back; 0 when
 * healthy (or probing).
 */
remainingMs: number, 
/**
 * Enabled accounts.
 */
accounts: number, 
/**
 * Accounts resting now.
 */
resting: number, 
/**
 * Signed-in accounts the provider no longer accepts until they sign in again (names).
 */
needsSignIn: Array<string>, 
/**
 * Each account's tightest quota window, when its provider reports any.
 */
quota: Array<TightestWindow>, };
export type UpdateState = { "state": "unsupported" } | { "state": "idle" } | { "state": "checking" } | { "state": "upToDate", current: string, } | { "state": "downloading", version: string, received: number, total: number | null, } | { "state": "ready", version: string, notes: string | null, } | { "state": "failed", message: string, };
export type LockScope = "model" | "connection";
export type Lockout = { id: string, scope: LockScope, target: string, reason: string, 
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
export type AuthStyle = "bearer" | "x-api-key" | "x-goog-api-key" | "token" | "raw" | "none";
export type Wire = "openai" | "anthropic" | "gemini" | "responses" | "codex" | "gemini-code-assist" | "kiro" | "deepgram" | "assemblyai";
export type Login = "api_key" | "oauth_pkce" | "device_code" | "oauth" | "none";
export type ModelKind = "chat" | "embedding" | "image" | "audio";
export type ModelEntry = { id: string, kind: ModelKind, context?: number | null, 
/**
 * USD per 1,000 input tokens (0 for subscription and free tiers).
 */
input_per_1k?: number | null, output_per_1k?: number | null, 
/**
 * The wire this model is reached on, when not the provider's (Copilot serves Claude
 * models on its Anthropic endpoint).
 */
wire?: Wire | null, };
export type Operation = "chat" | "embeddings" | "images" | "transcription";
export type AdapterId = "fireworks-workflow";
export type AdapterRule = { operation: Operation, adapter: AdapterId, 
/**
 * Models whose last path segment starts with this (any case); absent: every model.
 */
model_prefix?: string | null, };
export type TokenEncoding = "form" | "json";
export type RedirectSpec = { 
/**
 * How the redirect URI names this machine (`localhost` or `127.0.0.1`), as registered.
 */
host: string, 
/**
 * A fixed port the provider registered; absent: any free port.
 */
port?: number | null, path: string, };
export type DeviceProtocol = "rfc8628" | "openai" | "aws-sso-oidc";
export type DeviceSpec = { protocol: DeviceProtocol, 
/**
 * Where the user code is requested.
 */
code_url: string, 
/**
 * Where the device polls.
 */
token_url: string, 
/**
 * The page the user opens, when the code answer does not name one.
 */
verification_uri?: string | null, 
/**
 * The redirect URI of the final code exchange (OpenAI's device variant).
 */
redirect_uri?: string | null, 
/**
 * Whether the device request carries a PKCE challenge (Qwen).
 */
pkce?: boolean, 
/**
 * AWS SSO OIDC: where the client registers, and the portal the user signs in at.
 */
register_url?: string | null, start_url?: string | null, };
export type ExchangeSpec = { url: string, 
/**
 * Re-exchange this long before the API token expires.
 */
margin_secs: number, };
export type FlowKind = "browser" | "device" | "paste";
export type ImportFormat = "claude-code" | "codex" | "gemini-cli" | "kiro";
export type ImportSpec = { 
/**
 * The file, `~/` meaning the home directory of the user running OmniRoute.
 */
path: string, format: ImportFormat, };
export type UsageFormat = "claude" | "codex" | "copilot" | "code-assist" | "kiro";
export type UsageSpec = { url: string, format: UsageFormat, };
export type OAuthSpec = { 
/**
 * Authorization-code endpoint (browser and paste flows); absent: device flow only.
 */
authorize_url?: string | null, 
/**
 * Where codes and refresh tokens are exchanged.
 */
token_url: string, 
/**
 * How token requests are encoded.
 */
token_encoding: TokenEncoding, 
/**
 * The client id (absent where the client registers per account: AWS SSO OIDC).
 */
client_id: string, 
/**
 * An installed-app client's public secret, where the provider issues one.
 */
client_secret?: string | null, 
/**
 * Whether the client authenticates with HTTP Basic instead of body fields.
 */
basic_auth?: boolean, scopes?: Array<string>, 
/**
 * The loopback redirect the provider registered for this client.
 */
redirect?: RedirectSpec | null, 
/**
 * A provider page that shows the code for pasting (`code#state`), used by the paste flow;
 * absent: the paste flow uses the loopback redirect URI and the user pastes the address
 * the browser ended on.
 */
paste_redirect_uri?: string | null, 
/**
 * Extra authorization-request parameters (`access_type=offline`, …).
 */
authorize_params?: { [key in string]: string }, 
/**
 * Whether the code exchange repeats `state` (Anthropic's token endpoint wants it).
 */
state_in_token_request?: boolean, device?: DeviceSpec | null, 
/**
 * Where accounts signed in through another identity provider refresh (Kiro's Google and
 * GitHub logins: `{refreshToken}` as JSON), used for an account without a registered client.
 */
social_refresh_url?: string | null, 
/**
 * Answers who signed in (`email`, or GitHub's `login`) for a bearer token.
 */
userinfo_url?: string | null, 
/**
 * The header carrying the account id from the id token (Codex: `chatgpt-account-id`).
 */
account_id_header?: string | null, 
/**
 * A second token the API wants instead of the OAuth token (Copilot's API token).
 */
exchange?: ExchangeSpec | null, 
/**
 * How the provider's own OAuth tokens begin, when its official client may send its own
 * sign-in through OmniRoute (Claude Code's `sk-ant-oat`): such a request goes upstream
 * with that token and the client's headers unchanged, no stored account needed.
 */
passthrough_token_prefix?: string | null, 
/**
 * Where an account's quota windows are read (its provider's usage endpoint).
 */
usage?: UsageSpec | null, 
/**
 * Where the provider's official client keeps its sign-in, for an import the user asks for.
 */
import?: ImportSpec | null, 
/**
 * Refresh this long before the access token expires.
 */
refresh_margin_secs: number, 
/**
 * What the provider's terms mean for the user, shown where they sign in.
 */
notice?: string | null, 
/**
 * Set when the service no longer exists; the flow stays as data, the UI says so.
 */
discontinued?: string | null, };
export type CalendarReset = { 
/**
 * `daily` or `monthly`.
 */
window: string, 
/**
 * The local time of day it resets, `HH:MM` (default midnight).
 */
at?: string | null, 
/**
 * The provider's time zone as minutes east of UTC (Beijing: 480).
 */
utc_offset_minutes: number, 
/**
 * Monthly windows: the day of the month it resets (default the 1st).
 */
day?: number | null, };
export type ProviderEntry = { 
/**
 * Also the model prefix (`openai/gpt-4o`).
 */
id: string, name: string, 
/**
 * `subscription`, `cheap`, `free`, `api-key` or `audio`.
 */
tier: string, wire: Wire, base_url: string, auth: AuthStyle, login: Login, headers?: { [key in string]: string }, models: Array<ModelEntry>, notes?: string | null, 
/**
 * Operations served by another protocol than the wire's own (Fireworks' FLUX models draw
 * through its workflow API, not its OpenAI-compatible images endpoint).
 */
adapters?: Array<AdapterRule>, 
/**
 * When the provider's own quota windows reset on the calendar (GLM daily at 10:00,
 * Copilot monthly): the reset of a used-up quota its 429 does not time.
 */
quota_resets?: Array<CalendarReset>, 
/**
 * A request header saying who started the turn: `user` when the last message is the
 * user's, `agent` when the turn continues after tool results (Copilot's `x-initiator`).
 */
initiator_header?: string | null, 
/**
 * How accounts sign in, for subscription providers.
 */
oauth?: OAuthSpec | null, };
export type Catalog = { providers: Array<ProviderEntry>, };
export type ApiType = "openai" | "anthropic" | "gemini" | "responses";
export type ProviderNode = { id: string, name: string, prefix: string, apiType: ApiType, baseUrl: string, createdAt: number, updatedAt: number, };
export type CustomModel = { provider: string, modelId: string, modelName: string, kind: string, };
export type ComboTarget = { model: string, weight: number, };
export type Combo = { id: string, name: string, strategy: string, models: Array<ComboTarget>, position: number, createdAt: number, updatedAt: number, };
export type AuthView = { 
/**
 * Always `oauth`.
 */
kind: string, account: string | null, plan: string | null, 
/**
 * When the access token expires (Unix ms).
 */
expiresAt: number | null, 
/**
 * `ok`, `refreshing` or `needs-sign-in`.
 */
state: string, error?: string, };
export type ConnectionView = { id: string, provider: string, name: string, authKind: string, 
/**
 * The key masked as `sk-…abcd`; never the key itself.
 */
apiKey: string | null, baseUrl: string | null, priority: number, enabled: boolean, 
/**
 * Keeps to its plan's limits: an answer billed as extra usage or overage counts as the
 * plan used up, and the account rests until it resets.
 */
planLimitsOnly: boolean, createdAt: number, updatedAt: number, 
/**
 * A signed-in account's state; never a token.
 */
auth?: AuthView, };
export type FlowStatus = "pending" | "connected" | "failed" | "expired";
export type FlowStart = { flowId: string, kind: FlowKind, authUrl: string | null, userCode: string | null, verificationUri: string | null, 
/**
 * Seconds between device polls.
 */
interval: number | null, 
/**
 * Seconds until the flow expires.
 */
expiresIn: number, };
export type FlowView = { status: FlowStatus, connectionId: string | null, account: string | null, error: string | null, };
export type ProbeResult = { ok: boolean, model: string, latency_ms: number, status: number | null, error: string | null, };
export type Window = { 
/**
 * `5h`, `weekly`, `requests`, `tokens`, `input-tokens`, …
 */
window: string, used: number | null, limit: number | null, 
/**
 * 0 (unused) to 1 (exhausted).
 */
usedFraction: number, 
/**
 * Unix ms.
 */
resetsAt: number | null, 
/**
 * Where the figures came from: `headers` (an answer's), `usage-endpoint`, `observed` (a 429).
 */
source: string, 
/**
 * Past this limit the provider goes on serving and bills it as extra usage (Claude's extra
 * usage, Copilot's premium overage): used up, it stops the account only for an account set
 * to "plan limits only".
 */
overage: boolean, };
export type AccountQuota = { connection: string, provider: string, name: string, windows: Array<Window>, };
export type BreakerProfile = { 
/**
 * Consecutive failures that open the breaker.
 */
failureThreshold: number, 
/**
 * How long it stays open before one probe is let through.
 */
cooldownMs: number, };
export type Breaker = { "state": "CLOSED", failures: number, } | { "state": "OPEN", until: number, } | { "state": "HALF_OPEN", probing: boolean, };
export type BackoffProfile = { baseMs: number, maxMs: number, };
export type Reason = "failure" | "rate_limited" | "quota";
export type CooldownScope = "account" | "model";
export type Limits = { requestsPerMinute: number, minGapMs: number, maxConcurrent: number, };
export type AccountStrategy = "fill-first" | "round-robin" | "power-of-two-choices" | "random" | "least-recently-used" | "cost-optimized";
export type Strategy = "priority" | "round-robin" | "random" | "weighted" | "least-used" | "cost-optimized";
export type CooldownView = { connection: string, 
/**
 * The whole account rests, or only `model` on it.
 */
scope: CooldownScope, model: string | null, remaining_ms: number, reason: Reason | null, strikes: number, };
export type AccountView = { connection: string, requests: number, failures: number, in_flight: number, waiting: number, };
export type ResilienceHealth = { breakers: { [key in string]: Breaker }, cooldowns: Array<CooldownView>, accounts: Array<AccountView>, };
export type Profiles = { oauth: BreakerProfile, apiKey: BreakerProfile, backoff: BackoffProfile, 
/**
 * Limits of subscription and free-tier accounts without their own entry — the accounts a
 * provider may suspend for bursts (SPEC defaults: 60/min, 350 ms apart, 6 at once).
 */
rateLimits: Limits, 
/**
 * Limits of pay-per-use API keys and custom endpoints without their own entry; unlimited
 * (`0`) by default, since their providers meter and limit use themselves.
 */
apiKeyRateLimits: Limits, 
/**
 * Limits of single connections, by connection id.
 */
connectionLimits: { [key in string]: Limits }, };
export type Resilience = { profiles: Profiles, lockouts: Array<Lockout>, breakers: { [key in string]: Breaker }, cooldowns: Array<CooldownView>, accounts: Array<AccountView>, };
export type EffortBudgets = { 
/**
 * Also used for `minimal` (Anthropic's smallest budget is 1024).
 */
low: number, medium: number, high: number, };
export type ThinkingMode = "passthrough" | "strip" | "fixed" | "effort";
export type ComboPrompt = { prefix: string, suffix: string, };
export type RoutingSettings = { 
/**
 * How accounts of a provider are chosen, unless the provider has its own entry below.
 */
accountStrategy: AccountStrategy, 
/**
 * Per-provider overrides of `account_strategy`.
 */
providerStrategies: { [key in string]: AccountStrategy }, 
/**
 * Calls an account serves in a row under round-robin before the next takes over.
 */
stickyLimit: number, 
/**
 * The strategy of a combo created without one.
 */
comboDefaultStrategy: Strategy, 
/**
 * An account with a quota window used this far (0–1) goes behind accounts with headroom;
 * an exhausted one is skipped until its window resets.
 */
headroomThreshold: number, };
export type AiSettings = { systemPromptPrefix: string, systemPromptSuffix: string, 
/**
 * Combos with their own prompts, used instead of the global prefix and suffix (empty
 * strings opt a combo out of injection).
 */
comboSystemPrompts: { [key in string]: ComboPrompt }, thinkingMode: ThinkingMode, 
/**
 * Tokens, for `thinkingMode: fixed` (0 turns thinking off).
 */
thinkingBudget: number | null, 
/**
 * Tokens per reasoning effort, for `thinkingMode: effort`.
 */
effortBudgets: EffortBudgets, };
export type SecuritySettings = { requireApiKeyForModels: boolean, 
/**
 * CIDR blocks or addresses allowed to call the gateway (empty: everyone).
 */
ipAllow: Array<string>, ipDeny: Array<string>, blockedProviders: Array<string>, };
export type Settings = { routing: RoutingSettings, ai: AiSettings, security: SecuritySettings, 
/**
 * The response cache.
 */
cache: CacheSettings, 
/**
 * Retention of request logs (`ENABLE_REQUEST_LOGS`).
 */
logs: LogSettings, 
/**
 * The desktop app's notifications.
 */
notifications: NotificationSettings, };
export * from "./api-types-cli-tools";
export * from "./api-types-sync";
