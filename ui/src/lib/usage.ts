// Shaping `/api/usage` answers for the Usage page: time ranges, query strings, empty buckets
// filled with zeros, uPlot's column arrays, breakdown shares and the route a request took.
// Pure functions, so they are unit-tested without a browser.

// The API's own shapes, generated from the Rust types (api-types.ts).
import type { RequestRow, UsageReport, UsageTotals } from './api-types';

export type { RequestRow, UsageReport };
export type Totals = UsageTotals;
/** One group of a grouped report; `hour`/`day` groups are bucket starts in Unix ms, as text. */
export type Group = UsageTotals;

export type RangeKind = 'today' | '7d' | '30d' | 'custom';
export const rangeKinds: readonly RangeKind[] = ['today', '7d', '30d', 'custom'];
export type Bucket = 'hour' | 'day';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
const BUCKET_MS: Record<Bucket, number> = { hour: HOUR_MS, day: DAY_MS };
/** Never draw more buckets than this (a very long custom range is cut at its end). */
export const MAX_BUCKETS = 2000;

function localMidnight(d: Date): number {
  const m = new Date(d);
  m.setHours(0, 0, 0, 0);
  return m.getTime();
}

/** `YYYY-MM-DD` of a time in local time (the value of an `<input type="date">`). */
export function dateInputValue(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local midnight of a `YYYY-MM-DD` date, or null if it is not one. */
export function parseDateInput(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d.getTime();
}

/**
 * The `[from, to)` window of a range in Unix ms. Today and the last 7 or 30 days start at local
 * midnight and end now; a custom range runs from the start of its first day to the end of its
 * last day (both local, inclusive, swapped if given backwards).
 */
export function rangeBounds(
  kind: RangeKind,
  now: Date,
  custom?: { from: string; to: string },
): { from: number; to: number } {
  const end = now.getTime();
  const today = localMidnight(now);
  const daysBack = (n: number) => {
    const d = new Date(today);
    d.setDate(d.getDate() - n);
    return d.getTime();
  };
  switch (kind) {
    case 'today':
      return { from: today, to: end };
    case '7d':
      return { from: daysBack(6), to: end };
    case '30d':
      return { from: daysBack(29), to: end };
    case 'custom': {
      let a = parseDateInput(custom?.from ?? '') ?? today;
      let b = parseDateInput(custom?.to ?? '') ?? today;
      if (b < a) [a, b] = [b, a];
      const after = new Date(b);
      after.setDate(after.getDate() + 1);
      return { from: a, to: after.getTime() };
    }
  }
}

/** Hourly buckets for windows of up to two days, daily ones beyond. */
export function bucketFor(from: number, to: number): Bucket {
  return to - from <= 2 * DAY_MS ? 'hour' : 'day';
}

/** `?a=1&b=2` of the parameters that have a value (empty strings and null are left out). */
export function queryString(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export type TimeSeries = {
  /** Bucket starts in Unix seconds (uPlot's x values). */
  ts: number[];
  requests: number[];
  errors: number[];
  costUsd: number[];
  tokens: number[];
};

/**
 * Time groups as columns, one entry per bucket from the one holding `from` up to `to`, with
 * zeros where nothing happened. Buckets are aligned as the server aligns them (UTC).
 */
export function timeSeries(groups: Group[], from: number, to: number, bucket: Bucket): TimeSeries {
  const size = BUCKET_MS[bucket];
  const first = Math.floor(from / size) * size;
  const count = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil((to - first) / size)));
  const out: TimeSeries = { ts: [], requests: [], errors: [], costUsd: [], tokens: [] };
  for (let i = 0; i < count; i++) {
    out.ts.push((first + i * size) / 1000);
    out.requests.push(0);
    out.errors.push(0);
    out.costUsd.push(0);
    out.tokens.push(0);
  }
  for (const g of groups) {
    const start = Number(g.group);
    if (!Number.isFinite(start)) continue;
    const i = Math.floor((start - first) / size);
    if (i < 0 || i >= count) continue;
    out.requests[i] += g.requests;
    out.errors[i] += g.errors;
    out.costUsd[i] += g.costUsd;
    out.tokens[i] += g.inputTokens + g.outputTokens;
  }
  return out;
}

/** The columns uPlot draws: x, requests, cost. */
export function chartData(series: TimeSeries): [number[], number[], number[]] {
  return [series.ts, series.requests, series.costUsd];
}

export type Metric = 'requests' | 'costUsd' | 'tokens';
export const metrics: readonly Metric[] = ['requests', 'costUsd', 'tokens'];

export type Share = {
  /** The group value ('' when the rows had none: no key, no provider reached). */
  group: string;
  value: number;
  /** Of the largest group, 0–1 (the bar's length). */
  bar: number;
  /** Of the total, 0–1. */
  share: number;
  totals: Group;
};

export function metricOf(g: Totals, metric: Metric): number {
  return metric === 'tokens' ? g.inputTokens + g.outputTokens : g[metric];
}

/** Groups by the chosen measure, largest first, with their share of the total. */
export function breakdown(groups: Group[], metric: Metric): Share[] {
  const rows = groups.map((g) => ({ group: g.group ?? '', value: metricOf(g, metric), totals: g }));
  rows.sort((a, b) => b.value - a.value || a.group.localeCompare(b.group));
  const total = rows.reduce((s, r) => s + r.value, 0);
  const max = rows.reduce((m, r) => Math.max(m, r.value), 0);
  return rows.map((r) => ({ ...r, bar: max > 0 ? r.value / max : 0, share: total > 0 ? r.value / total : 0 }));
}

export type Fallback = { target: string; reason: string };

/** The fallback reasons of a request; tolerant of a missing or malformed value. */
export function parseFallbacks(text: string | null | undefined): Fallback[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value
      .filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null)
      .map((f) => ({ target: String(f.target ?? ''), reason: String(f.reason ?? '') }));
  } catch {
    return [];
  }
}

export type Route = {
  /** The combo asked for, if any. */
  combo: string | null;
  /** The model that served it (or was last tried). */
  model: string;
  /** Targets tried before, and why they were passed over. */
  fallbacks: Fallback[];
};

export function routeOf(row: Pick<RequestRow, 'combo' | 'model' | 'fallbackReasons'>): Route {
  return { combo: row.combo, model: row.model, fallbacks: parseFallbacks(row.fallbackReasons) };
}

/** Distinct non-empty group values, sorted, plus `keep` (the current selection) if missing. */
export function options(groups: Group[], keep = ''): string[] {
  const values = new Set(groups.map((g) => g.group ?? '').filter((v) => v !== ''));
  if (keep) values.add(keep);
  return [...values].sort((a, b) => a.localeCompare(b));
}
