// The Providers page's pure logic: catalog shapes, tier sections with their pricing hints, and
// an account's status joined from the connection list and `/api/resilience`.

// The API's own shapes, generated from the Rust types (api-types.ts).
import type {
  ConnectionView,
  CooldownView,
  CustomModel,
  Lockout,
  ModelEntry,
  ProbeResult,
  ProviderEntry,
  ProviderNode,
  Resilience as ResilienceReport,
} from './api-types';

export type { CustomModel, Lockout, ProviderNode };
export type CatalogModel = ModelEntry;
export type CatalogProvider = ProviderEntry;
export type Connection = ConnectionView;
export type Cooldown = CooldownView;
export type TestResult = ProbeResult;
/** A provider's breaker, read loosely: the API's union (`state` CLOSED/OPEN/HALF_OPEN). */
export type Breaker = { state: string; failures?: number; until?: number; probing?: boolean };
export type Resilience = Omit<ResilienceReport, 'breakers' | 'profiles' | 'lockouts'> & {
  breakers: Record<string, Breaker>;
  lockouts?: Lockout[];
};

/** Tier sections in the order the guide's pricing table lists them. */
export const TIERS = ['subscription', 'cheap', 'free', 'api-key', 'audio'] as const;

export const API_TYPES = ['openai', 'anthropic', 'gemini', 'responses'] as const;

/** Providers grouped by tier, known tiers first in `TIERS` order, unknown ones after. */
export function byTier(providers: readonly CatalogProvider[]): { tier: string; providers: CatalogProvider[] }[] {
  const groups = new Map<string, CatalogProvider[]>();
  for (const p of providers) {
    const list = groups.get(p.tier) ?? [];
    list.push(p);
    groups.set(p.tier, list);
  }
  const order = [...TIERS, ...[...groups.keys()].filter((t) => !(TIERS as readonly string[]).includes(t))];
  return order.filter((t) => groups.has(t)).map((tier) => ({ tier, providers: groups.get(tier)! }));
}

/** Whether a provider is connected by pasting an API key (the others sign in with OAuth). */
export function usesApiKey(p: Pick<CatalogProvider, 'login'>): boolean {
  return p.login === 'api_key' || p.login === 'none';
}

export type PricingHint =
  | { kind: 'subscription' }
  | { kind: 'free' }
  | { kind: 'from'; inputPer1k: number }
  | { kind: 'metered' };

/**
 * What a provider costs at a glance: subscriptions and free tiers by their tier, the others
 * "from" their cheapest chat model's input price (any priced model if none is chat; all-zero
 * prices read as free; no prices at all as "pay per use").
 */
export function pricingHint(p: CatalogProvider): PricingHint {
  if (p.tier === 'subscription') return { kind: 'subscription' };
  if (p.tier === 'free') return { kind: 'free' };
  const priced = (models: CatalogModel[]) =>
    models.map((m) => m.input_per_1k).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  let prices = priced(p.models.filter((m) => m.kind === 'chat'));
  if (prices.length === 0) prices = priced(p.models);
  if (prices.length === 0) return { kind: 'metered' };
  const min = Math.min(...prices);
  return min <= 0 ? { kind: 'free' } : { kind: 'from', inputPer1k: min };
}

export type AccountState =
  | { kind: 'disabled' }
  | { kind: 'locked'; reason: string }
  | { kind: 'open' }
  | { kind: 'cooling'; remainingMs: number; reason: string | null }
  | { kind: 'recovering' }
  | { kind: 'healthy' };

/**
 * One connection's status: disabled, locked by hand, its provider's circuit open, the account
 * cooling down (time left), its provider's breaker half-open, else healthy.
 */
export function accountState(c: Pick<Connection, 'id' | 'provider' | 'enabled'>, r: Resilience | null): AccountState {
  if (!c.enabled) return { kind: 'disabled' };
  const lock = r?.lockouts?.find((l) => l.scope === 'connection' && l.target === c.id);
  if (lock) return { kind: 'locked', reason: lock.reason };
  const breaker = (r?.breakers?.[c.provider]?.state ?? 'CLOSED').toUpperCase();
  if (breaker === 'OPEN') return { kind: 'open' };
  // A model resting on the account leaves the account serving its other models.
  const cooldown = r?.cooldowns?.find((x) => x.connection === c.id && x.scope === 'account');
  if (cooldown && cooldown.remaining_ms > 0) {
    return { kind: 'cooling', remainingMs: cooldown.remaining_ms, reason: cooldown.reason };
  }
  if (breaker === 'HALF_OPEN') return { kind: 'recovering' };
  return { kind: 'healthy' };
}

/** `95_000` → `1m 35s`; `4_200` → `5s` (rounded up: never "0s" while still waiting). */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** The model a connection test should try: the first chat model the provider is known to serve. */
export function defaultTestModel(provider: string, catalog: readonly CatalogProvider[], custom: readonly CustomModel[]): string {
  const own = custom.find((m) => m.provider === provider && (m.kind ?? 'chat') === 'chat');
  const builtIn = catalog.find((p) => p.id === provider)?.models.find((m) => m.kind === 'chat');
  return builtIn?.id ?? own?.modelId ?? '';
}

/** A node prefix as the gateway accepts it (it becomes `prefix/model`). */
export function validPrefix(prefix: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(prefix.trim());
}

/** A quota window as a bar: its share used (0–100, whole percent), how urgent, and the time
 * to its reset from `now` (ms), when known. */
export function quotaBar(w: { usedFraction: number; resetsAt: number | null }, now: number): {
  percent: number;
  level: 'ok' | 'warn' | 'bad';
  resetsInMs: number | null;
} {
  const percent = Math.round(Math.min(1, Math.max(0, w.usedFraction)) * 100);
  const level = percent >= 100 ? 'bad' : percent >= 80 ? 'warn' : 'ok';
  return { percent, level, resetsInMs: w.resetsAt === null ? null : Math.max(0, w.resetsAt - now) };
}
