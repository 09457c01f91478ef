// The Settings page's pure parts: the JSON merge patch between a section as loaded and as
// edited, list fields typed one entry a line, and whether IP lists would shut out an address.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The RFC 7396 merge patch turning `before` into `after`: changed keys with their new value,
 * removed keys as `null`, nested objects diffed key by key, arrays and scalars replaced whole.
 * `undefined` when nothing changed. (A value that is `null` in `after` cannot be expressed and
 * is sent as a removal, which is what the API's sections mean by it.)
 */
export function mergePatch(before: unknown, after: unknown): Json | undefined {
  if (!isObject(before) || !isObject(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? undefined : ((after ?? null) as Json);
  }
  const patch: Record<string, Json> = {};
  for (const key of Object.keys(before)) {
    if (!(key in after) || after[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const sub = key in before ? mergePatch(before[key], value) : (value as Json);
    if (sub !== undefined) patch[key] = sub;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/** `"a\nb, c\n\n"` → `["a", "b", "c"]`. */
export function parseList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function formatList(items: string[]): string {
  return items.join('\n');
}

/** An IPv4 or IPv6 address as a bit string, or null. IPv4-mapped IPv6 becomes IPv4. */
function bits(address: string): string | null {
  const a = address.trim().replace(/^\[|\]$/g, '');
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return null;
    return parts.map((p) => p.toString(2).padStart(8, '0')).join('');
  }
  if (!a.includes(':')) return null;
  const mapped = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(a);
  if (mapped) return bits(mapped[1]);
  const halves = a.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}

/** Whether `entry` (an address or CIDR block) is well formed. */
export function validEntry(entry: string): boolean {
  const [addr, prefix, extra] = entry.trim().split('/');
  if (extra !== undefined) return false;
  const b = bits(addr);
  if (b === null) return false;
  if (prefix === undefined) return true;
  const max = addr.includes(':') ? 128 : 32;
  return /^\d+$/.test(prefix) && Number(prefix) <= max && (max === 32 || b.length === 128 || Number(prefix) >= 96);
}

/** Whether the block `entry` contains `address` (both as typed in the lists). */
export function contains(entry: string, address: string): boolean {
  const [addr, prefix] = entry.trim().split('/');
  const net = bits(addr);
  const ip = bits(address);
  if (net === null || ip === null || net.length !== ip.length) return false;
  let length = prefix === undefined ? net.length : Number(prefix);
  // `::ffff:10.0.0.0/104` is the IPv4 block 10.0.0.0/8.
  if (addr.includes(':') && net.length === 32 && prefix !== undefined) length -= 96;
  if (!(length >= 0 && length <= net.length)) return false;
  return net.slice(0, length) === ip.slice(0, length);
}

/** The gateway's rule: deny wins; an empty allow list lets everyone else in. */
export function permits(allow: string[], deny: string[], address: string): boolean {
  if (deny.some((d) => contains(d, address))) return false;
  return allow.length === 0 || allow.some((a) => contains(a, address));
}

/**
 * The addresses this browser reaches the gateway from, when the page tells: loopback when it
 * was opened on localhost. Empty when unknown (the page then warns in general terms).
 */
export function ownAddresses(hostname: string): string[] {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '127.0.0.1' || host === '::1') return [host];
  if (host === 'localhost' || host.endsWith('.localhost')) return ['127.0.0.1', '::1'];
  return [];
}

/** Of `addresses`, those the lists would shut out. */
export function lockedOut(allow: string[], deny: string[], addresses: string[]): string[] {
  return addresses.filter((a) => !permits(allow, deny, a));
}

// The shapes of `GET /api/settings` (crates/gateway/src/admin/settings.rs).

export const accountStrategies = ['fill-first', 'round-robin', 'power-of-two-choices', 'random', 'least-recently-used', 'cost-optimized'] as const;
export const comboStrategies = ['priority', 'round-robin', 'random', 'weighted', 'least-used', 'cost-optimized'] as const;
export const thinkingModes = ['passthrough', 'strip', 'fixed', 'effort'] as const;

// The API's own shapes, generated from the Rust types (api-types.ts).
export type { AiSettings, CacheSettings, LogSettings, RoutingSettings, SecuritySettings, Settings } from './api-types';
import type { AccountStrategy, Settings, Strategy, ThinkingMode } from './api-types';

// The lists above must name exactly the API's variants (checked when the types are compiled).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _accountStrategies: Same<(typeof accountStrategies)[number], AccountStrategy> = true;
const _comboStrategies: Same<(typeof comboStrategies)[number], Strategy> = true;
const _thinkingModes: Same<(typeof thinkingModes)[number], ThinkingMode> = true;
void [_accountStrategies, _comboStrategies, _thinkingModes];

/** The `PATCH /api/settings` body turning `before` into `after`, section by section; `null` if nothing changed. */
export function settingsPatch(before: Settings, after: Partial<Settings>): Record<string, unknown> | null {
  const patch: Record<string, unknown> = {};
  for (const [name, section] of Object.entries(after)) {
    const diff = mergePatch(before[name as keyof Settings], section);
    if (diff !== undefined) patch[name] = diff;
  }
  return Object.keys(patch).length > 0 ? patch : null;
}

/** A copy to edit (plain data, detached from the loaded value). */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
