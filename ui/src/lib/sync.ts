// Cloud sync for Settings → Sync: pure helpers that word `/api/sync/*` (relative times, the
// last error by kind, short device ids, conflicts) and check the forms. The shapes are the
// generated Rust types (api-types.ts).

export type {
  ClockWarning,
  ConflictSummary,
  DeviceId,
  DeviceSummary,
  FailureKind,
  Kind,
  PairingCodeView,
  SyncFailure,
  SyncStatus,
  SyncView,
  VersionSummary,
} from './api-types';
import type { ConflictSummary, DeviceId, FailureKind, Kind, SyncFailure, SyncStatus, VersionSummary } from './api-types';

type Translate = (key: string, params?: Record<string, string | number>) => string;

export const KINDS: readonly Kind[] = ['connection', 'credential', 'combo', 'alias', 'custom-model', 'provider-node', 'pricing', 'budget', 'settings'];
export const FAILURE_KINDS: readonly FailureKind[] = ['unreachable', 'timeout', 'hub-rejected', 'cannot-open', 'corrupt', 'local'];

/** The first 8 hex digits: enough to tell a user's devices apart. */
export function shortDevice(id: DeviceId | null | undefined): string {
  return id ? id.slice(0, 8) : '—';
}

/** "just now", "2 min ago", "in 4 min", "3 h ago", "2 d ago" (through `t`). */
export function relativeTime(ms: number, now: number, t: Translate): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  if (abs < 10_000) return t('settings.sync.time.now');
  const [unit, n] =
    abs < 60_000
      ? ['Seconds', Math.floor(abs / 1000)]
      : abs < 3_600_000
        ? ['Minutes', Math.floor(abs / 60_000)]
        : abs < 86_400_000
          ? ['Hours', Math.floor(abs / 3_600_000)]
          : ['Days', Math.floor(abs / 86_400_000)];
  return diff < 0 ? t(`settings.sync.time.ago${unit}`, { n }) : t(`settings.sync.time.in${unit}`, { n });
}

/** When the last success was, or "never". */
export function lastSuccessText(ms: number | null, now: number, t: Translate): string {
  return ms === null ? t('settings.sync.never') : relativeTime(ms, now, t);
}

/** When the next run is: "in 4 min", "now" once its time (nearly) has come, "not scheduled" without one. */
export function nextRunText(ms: number | null, now: number, t: Translate): string {
  if (ms === null) return t('settings.sync.notScheduled');
  if (ms - now < 10_000) return t('settings.sync.dueNow');
  return relativeTime(ms, now, t);
}

/** The hub as the user knows it: "The hub at <address>", else "The hub". */
function hubName(url: string | null, t: Translate): string {
  return url ? t('settings.sync.hubAt', { url }) : t('settings.sync.theHub');
}

/** The last error in a sentence by its kind; the server's own message is shown beside it. */
export function errorText(failure: SyncFailure, url: string | null, t: Translate): string {
  const hub = hubName(url, t);
  switch (failure.kind) {
    case 'unreachable':
      return t('settings.sync.errors.unreachable', { hub });
    case 'timeout':
      return t('settings.sync.errors.timeout', { hub });
    case 'hub-rejected':
      return t('settings.sync.errors.hubRejected', { hub });
    case 'cannot-open':
      return t('settings.sync.errors.cannotOpen');
    case 'corrupt':
      return t('settings.sync.errors.corrupt', { hub });
    case 'local':
      return t('settings.sync.errors.local');
    default:
      return t('settings.sync.errors.unknown');
  }
}

/** "combo team", "provider account openai-main", "settings section routing". */
export function conflictTitle(c: Pick<ConflictSummary, 'kind' | 'recordId'>, t: Translate): string {
  return t('settings.sync.conflictTitle', { kind: t(`settings.sync.kinds.${c.kind}`), id: c.recordId });
}

/** One side of a conflict: "device 1a2b3c4d, <time>" or "deleted on this device, <time>". */
export function versionText(v: VersionSummary, own: DeviceId | null, t: Translate, formatTime: (ms: number) => string): string {
  const device = v.device === own ? t('settings.sync.thisDevice') : t('settings.sync.device', { id: shortDevice(v.device) });
  return t(v.deleted ? 'settings.sync.versionDeleted' : 'settings.sync.version', { device, time: formatTime(v.atMs) });
}

/** Why a sync address cannot work, as a message key; null when it looks usable. */
export function addressProblem(url: string): string | null {
  const raw = url.trim();
  if (!raw) return 'settings.sync.address.empty';
  const m = /^(https?|webdavs?):\/\/(.*)$/i.exec(raw);
  if (!m) return 'settings.sync.address.scheme';
  const scheme = m[1].toLowerCase();
  let parsed: URL;
  try {
    parsed = new URL(`${scheme.startsWith('webdav') ? scheme.replace('webdav', 'http') : scheme}://${m[2]}`);
  } catch {
    return 'settings.sync.address.invalid';
  }
  if (!parsed.hostname) return 'settings.sync.address.invalid';
  return null;
}

/** Whether `typed` has the shape of a pairing code (25 symbols, dashes and spaces ignored). */
export function looksLikePairingCode(typed: string): boolean {
  return /^[0-9a-z]{25}$/i.test(typed.replace(/[-\s]/g, ''));
}

/** Why a passphrase is refused, as a message key; null when it is a pairing code or long enough. */
export function passphraseProblem(typed: string): string | null {
  const p = typed.trim();
  if (!p) return 'settings.sync.passphrase.empty';
  if (looksLikePairingCode(p)) return null;
  return [...p].length < 12 ? 'settings.sync.passphrase.tooShort' : null;
}

/**
 * What other devices type to use this OmniRoute as their hub: its address as the browser sees
 * it, with a placeholder for the host when that is this machine only (localhost).
 */
export function hubAddress(origin: string, placeholder: string): string {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return origin;
  }
  const loopback = u.hostname === 'localhost' || u.hostname.startsWith('127.') || u.hostname === '[::1]';
  const host = loopback ? placeholder : u.hostname;
  return `${u.protocol}//${host}${u.port ? `:${u.port}` : ''}`;
}
