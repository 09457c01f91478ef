// Settings → Sync's helpers (relative times, error wording by kind, short device ids, conflicts,
// form checks) and the message keys its components use, literal and built at run time.
import { describe, expect, it } from 'vitest';
import { flatten, interpolate } from './i18n-core';
import en from '../locales/en.json';
import da from '../locales/da.json';
import {
  FAILURE_KINDS,
  KINDS,
  addressProblem,
  conflictTitle,
  errorText,
  hubAddress,
  lastSuccessText,
  looksLikePairingCode,
  nextRunText,
  passphraseProblem,
  relativeTime,
  shortDevice,
  versionText,
  type SyncFailure,
} from './sync';

const catalog = flatten(en);
const danish = flatten(da);
/** `t` over the English catalog; a missing key comes back as `MISSING:key` so tests see it. */
const t = (key: string, params?: Record<string, string | number>) => interpolate(catalog[key] ?? `MISSING:${key}`, params);
const tDa = (key: string, params?: Record<string, string | number>) => interpolate(danish[key] ?? `MISSING:${key}`, params);

const NOW = 1_750_000_000_000;
const A = '0123456789abcdef0123456789abcdef';
const B = 'fedcba9876543210fedcba9876543210';

describe('relative times', () => {
  it('words the past and the future in the largest whole unit', () => {
    expect(relativeTime(NOW - 3_000, NOW, t)).toBe('just now');
    expect(relativeTime(NOW + 5_000, NOW, t)).toBe('just now');
    expect(relativeTime(NOW - 42_000, NOW, t)).toBe('42 s ago');
    expect(relativeTime(NOW - 2 * 60_000 - 30_000, NOW, t)).toBe('2 min ago');
    expect(relativeTime(NOW - 3 * 3_600_000, NOW, t)).toBe('3 h ago');
    expect(relativeTime(NOW - 8 * 86_400_000, NOW, t)).toBe('8 d ago');
    expect(relativeTime(NOW + 4 * 60_000, NOW, t)).toBe('in 4 min');
    expect(relativeTime(NOW + 25 * 3_600_000, NOW, t)).toBe('in 1 d');
  });

  it('in Danish too', () => {
    expect(relativeTime(NOW - 2 * 60_000, NOW, tDa)).toBe('for 2 min. siden');
    expect(relativeTime(NOW + 3 * 3_600_000, NOW, tDa)).toBe('om 3 t.');
  });

  it('says never for no success, and when the next run is', () => {
    expect(lastSuccessText(null, NOW, t)).toBe('never');
    expect(lastSuccessText(NOW - 120_000, NOW, t)).toBe('2 min ago');
    expect(nextRunText(null, NOW, t)).toBe('not scheduled');
    expect(nextRunText(NOW - 60_000, NOW, t)).toBe('now');
    expect(nextRunText(NOW + 2_000, NOW, t)).toBe('now');
    expect(nextRunText(NOW + 5 * 60_000, NOW, t)).toBe('in 5 min');
  });
});

describe('the last error by kind', () => {
  const failure = (kind: SyncFailure['kind']): SyncFailure => ({ atMs: NOW, kind, message: 'details' });

  it('names the hub where the hub is at fault', () => {
    expect(errorText(failure('unreachable'), 'http://10.0.0.2:20128', t)).toBe('The hub at http://10.0.0.2:20128 did not answer.');
    expect(errorText(failure('timeout'), 'http://10.0.0.2:20128', t)).toMatch(/^The hub at http:\/\/10\.0\.0\.2:20128 did not finish/);
    expect(errorText(failure('hub-rejected'), 'webdavs://me@nas/dav', t)).toMatch(/webdavs:\/\/me@nas\/dav refused/);
    expect(errorText(failure('unreachable'), null, t)).toBe('The hub did not answer.');
    expect(errorText(failure('corrupt'), 'http://h:1', tDa)).toBe('Hubben på http://h:1 svarede med beskadigede eller ulæselige data.');
  });

  it('explains a key that does not open the data', () => {
    expect(errorText(failure('cannot-open'), 'http://h', t)).toMatch(/does not open with this group's key/);
  });

  it('has a sentence for every kind, in both languages', () => {
    for (const kind of FAILURE_KINDS) {
      for (const tr of [t, tDa]) {
        const text = errorText(failure(kind), 'http://h', tr);
        expect(text, kind).not.toMatch(/MISSING|\{/);
        expect(text, kind).not.toBe(tr('settings.sync.errors.unknown'));
      }
    }
  });
});

describe('devices and conflicts', () => {
  it('shortens device ids to 8 hex digits', () => {
    expect(shortDevice(A)).toBe('01234567');
    expect(shortDevice(null)).toBe('—');
  });

  it('says what a conflict is about, for every kind', () => {
    expect(conflictTitle({ kind: 'combo', recordId: 'team' }, t)).toBe('combo team');
    expect(conflictTitle({ kind: 'custom-model', recordId: 'openai/x' }, t)).toBe('custom model openai/x');
    for (const kind of KINDS) {
      expect(conflictTitle({ kind, recordId: 'r' }, t)).not.toMatch(/MISSING/);
      expect(conflictTitle({ kind, recordId: 'r' }, tDa)).not.toMatch(/MISSING/);
    }
  });

  it('words a version by device and time, deleted or not, and recognizes this device', () => {
    const time = (ms: number) => `T${ms}`;
    expect(versionText({ device: B, atMs: 5, deleted: false }, A, t, time)).toBe('device fedcba98, T5');
    expect(versionText({ device: A, atMs: 6, deleted: true }, A, t, time)).toBe('deleted on this device, T6');
  });
});

describe('the forms', () => {
  it('accepts hub and WebDAV addresses and names what is wrong with others', () => {
    for (const ok of ['http://10.0.0.2:20128', 'https://hub.example.com', 'webdav://me:pw@nas.lan/dav/omniroute', 'webdavs://me@cloud.example/remote.php/dav', ' http://[::1]:20128 ']) {
      expect(addressProblem(ok), ok).toBeNull();
    }
    expect(addressProblem('')).toBe('settings.sync.address.empty');
    expect(addressProblem('ftp://host')).toBe('settings.sync.address.scheme');
    expect(addressProblem('10.0.0.2:20128')).toBe('settings.sync.address.scheme');
    expect(addressProblem('http://')).toBe('settings.sync.address.invalid');
  });

  it('takes a pairing code however it is typed, and asks for 12 characters otherwise', () => {
    expect(looksLikePairingCode('7K3QF-XB1MZ-ABCDE-FGHJK-MNPQR')).toBe(true);
    expect(looksLikePairingCode('7k3qf xb1mz abcde fghjk mnpqr')).toBe(true);
    expect(looksLikePairingCode('7K3QF-XB1MZ')).toBe(false);
    expect(passphraseProblem('7K3QF-XB1MZ-ABCDE-FGHJK-MNPQR')).toBeNull();
    expect(passphraseProblem('correct horse battery')).toBeNull();
    expect(passphraseProblem('short one')).toBe('settings.sync.passphrase.tooShort');
    expect(passphraseProblem('   ')).toBe('settings.sync.passphrase.empty');
    // Counted in characters, as the gateway does, not UTF-16 units.
    expect(passphraseProblem('😀'.repeat(11))).toBe('settings.sync.passphrase.tooShort');
  });

  it('gives the address other devices use for this hub', () => {
    expect(hubAddress('http://192.168.1.20:20128', '<here>')).toBe('http://192.168.1.20:20128');
    expect(hubAddress('http://127.0.0.1:20128', '<here>')).toBe('http://<here>:20128');
    expect(hubAddress('http://localhost:20128', '<here>')).toBe('http://<here>:20128');
    expect(hubAddress('https://hub.example.com', '<here>')).toBe('https://hub.example.com');
  });
});

describe('message keys of Settings → Sync', () => {
  const sources = {
    ...import.meta.glob<string>('../components/settings/SyncTab.svelte', { query: '?raw', import: 'default', eager: true }),
    ...import.meta.glob<string>('../components/settings/sync/*.svelte', { query: '?raw', import: 'default', eager: true }),
    ...import.meta.glob<string>('./sync.ts', { query: '?raw', import: 'default', eager: true }),
  };

  it('finds the tab and its components', () => {
    expect(Object.keys(sources).length).toBeGreaterThanOrEqual(7);
  });

  for (const [file, source] of Object.entries(sources)) {
    it(`${file} uses only keys that exist`, () => {
      const keys = [...source.matchAll(/'((?:settings|common)\.[\w.-]+)'/g)].map((m) => m[1]).filter((k) => !k.endsWith('.'));
      expect(keys.filter((k) => !(k in catalog))).toEqual([]);
    });
  }

  it('the keys built at run time exist', () => {
    const built = [
      'settings.tabs.sync',
      ...['join', 'start'].flatMap((m) => [`settings.sync.${m}Title`, `settings.sync.${m}Help`]),
      ...KINDS.map((k) => `settings.sync.kinds.${k}`),
      ...['Seconds', 'Minutes', 'Hours', 'Days'].flatMap((u) => [`settings.sync.time.ago${u}`, `settings.sync.time.in${u}`]),
    ];
    expect(built.filter((k) => !(k in catalog))).toEqual([]);
  });
});
