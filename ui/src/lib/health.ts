// Shaping `/api/health`, `/api/resilience` and `/api/telemetry` for the Health page: durations
// and sizes in the user's language, breaker states, countdowns and the cache hit rate.

// The API's own shapes, generated from the Rust types (api-types.ts).
import type { CacheStats, HealthReport, LatencySummary, Lockout } from './api-types';

export type { CacheStats, HealthReport, LatencySummary, Lockout };

/** A provider's breaker: `until` (open) is on the gateway's clock, ms since it started. */
export type Breaker = { state: string; failures?: number; until?: number; probing?: boolean };

export type Cooldown = { connection: string; scope: 'account' | 'model'; model: string | null; remaining_ms: number; reason: string | null; strikes: number };
export type Account = { connection: string; requests: number; failures: number; in_flight: number; waiting: number };

export type Limits = { requestsPerMinute: number; minGapMs: number; maxConcurrent: number };

export type Resilience = {
  breakers: Record<string, Breaker>;
  cooldowns: Cooldown[];
  accounts: Account[];
  profiles: { rateLimits?: Limits; apiKeyRateLimits?: Limits; [k: string]: unknown };
  lockouts: Lockout[];
};

export type Telemetry = {
  providers: Record<string, LatencySummary>;
  models: Record<string, LatencySummary>;
};

/** `closed`, `open` or `half_open` (the keys of `health.breaker.*`). */
export function breakerState(b: Breaker | string | undefined): string {
  const s = typeof b === 'string' ? b : b?.state;
  return (s ?? 'closed').toLowerCase();
}

/**
 * Milliseconds until an open breaker lets a probe through, estimated from the gateway's uptime
 * (the breaker's clock starts with the process); null when not open or unknown.
 */
export function breakerRemainingMs(b: Breaker, uptimeS: number | undefined, elapsedMs = 0): number | null {
  if (breakerState(b) !== 'open' || typeof b.until !== 'number' || uptimeS === undefined) return null;
  return Math.max(0, b.until - uptimeS * 1000 - elapsedMs);
}

/** What is left of `remainingMs`, measured at `fetchedAt`, at time `now`. */
export function remainingAt(remainingMs: number, fetchedAt: number, now: number): number {
  return Math.max(0, remainingMs - (now - fetchedAt));
}

function unit(locale: string, u: string, n: number): string {
  return new Intl.NumberFormat(locale, { style: 'unit', unit: u, unitDisplay: 'narrow', maximumFractionDigits: 0 }).format(n);
}

/** `2d 3h`, `4h 5m`, `3m 20s`, `45s` (the two largest units, in the user's language). */
export function formatDuration(ms: number, locale: string): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts: [string, number][] = [
    ['day', d],
    ['hour', h],
    ['minute', m],
    ['second', s],
  ];
  const first = parts.findIndex(([, n]) => n > 0);
  if (first === -1) return unit(locale, 'second', 0);
  return parts
    .slice(first, first + 2)
    .filter(([, n], i) => i === 0 || n > 0)
    .map(([u, n]) => unit(locale, u, n))
    .join(' ');
}

/** `512 B`, `3.4 kB`, `47 MB` (decimal units). */
export function formatBytes(bytes: number, locale: string): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'];
  let v = Math.max(0, bytes);
  if (v < 1000) return `${new Intl.NumberFormat(locale).format(v)} B`;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: units[i],
    unitDisplay: 'short',
    maximumFractionDigits: i === 0 || v >= 100 ? 0 : 1,
  }).format(v);
}

/** Hits over lookups, 0–1; null before the first lookup. */
export function hitRate(c: CacheStats): number | null {
  const lookups = c.hits + c.misses;
  return lookups > 0 ? c.hits / lookups : null;
}

/** Latency in ms for a table cell: `0.9`, `12`, `1,234`; `—` when not measured yet. */
export function formatMs(ms: number | null | undefined, locale: string): string {
  if (ms === null || ms === undefined) return '—';
  return new Intl.NumberFormat(locale, { maximumFractionDigits: ms < 10 ? 1 : 0 }).format(ms);
}

/** Providers to show: those with a breaker and those with a connection, sorted. */
export function providerNames(breakers: Record<string, unknown>, connected: string[]): string[] {
  return [...new Set([...Object.keys(breakers), ...connected])].sort((a, b) => a.localeCompare(b));
}
