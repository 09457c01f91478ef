import { describe, expect, it } from 'vitest';
import { contains, lockedOut, mergePatch, ownAddresses, parseList, permits, validEntry, type Settings } from './settings';

describe('merge patch between loaded and edited settings', () => {
  it('is undefined when nothing changed', () => {
    expect(mergePatch({ a: 1, b: { c: [1] } }, { a: 1, b: { c: [1] } })).toBeUndefined();
  });

  it('sends changed keys, nested objects key by key, and removals as null', () => {
    const before = { stickyLimit: 3, providerStrategies: { a: 'random', b: 'fill-first' }, list: [1, 2] };
    const after = { stickyLimit: 5, providerStrategies: { b: 'fill-first', c: 'round-robin' }, list: [2] };
    expect(mergePatch(before, after)).toEqual({
      stickyLimit: 5,
      providerStrategies: { a: null, c: 'round-robin' },
      list: [2],
    });
  });

  it('replaces scalars with objects and back', () => {
    expect(mergePatch({ global: null }, { global: { type: 'http', host: 'h', port: 1 } })).toEqual({
      global: { type: 'http', host: 'h', port: 1 },
    });
    expect(mergePatch({ thinkingBudget: 100 }, { thinkingBudget: null })).toEqual({ thinkingBudget: null });
  });
});

describe('lists typed one entry a line', () => {
  it('splits on lines and commas, dropping blanks', () => {
    expect(parseList(' 10.0.0.0/8\n\n192.168.1.1, ::1 \n')).toEqual(['10.0.0.0/8', '192.168.1.1', '::1']);
    expect(parseList('')).toEqual([]);
  });
});

describe('IP rules as the gateway applies them', () => {
  it('validates addresses and blocks', () => {
    for (const ok of ['10.0.0.0/8', '192.0.2.7', '::1', 'fd00::/8', '::ffff:10.0.0.0/104', '2001:db8::1/128', '[::1]']) {
      expect(validEntry(ok), ok).toBe(true);
    }
    for (const bad of ['10.0.0.0/33', 'example.com', '300.1.1.1', '1.2.3', 'fd00::/129', '1.2.3.4/8/1', '10.0.0.0/']) {
      expect(validEntry(bad), bad).toBe(false);
    }
  });

  it('matches addresses in blocks, IPv4 and IPv6', () => {
    expect(contains('10.0.0.0/8', '10.20.30.40')).toBe(true);
    expect(contains('10.0.0.0/8', '11.0.0.1')).toBe(false);
    expect(contains('192.0.2.7', '192.0.2.7')).toBe(true);
    expect(contains('::1', '::1')).toBe(true);
    expect(contains('fd00::/8', 'fd12:3456::1')).toBe(true);
    expect(contains('fd00::/8', 'fe80::1')).toBe(false);
    expect(contains('::ffff:10.0.0.0/104', '10.1.2.3')).toBe(true);
    expect(contains('0.0.0.0/0', '::1')).toBe(false);
  });

  it('deny wins, and an empty allow list lets everyone in', () => {
    expect(permits([], [], '1.2.3.4')).toBe(true);
    expect(permits(['10.0.0.0/8'], [], '1.2.3.4')).toBe(false);
    expect(permits(['10.0.0.0/8'], ['10.0.0.5'], '10.0.0.5')).toBe(false);
    expect(permits(['10.0.0.0/8'], ['10.0.0.5'], '10.0.0.6')).toBe(true);
  });

  it('names the own loopback addresses a list would shut out', () => {
    expect(ownAddresses('localhost')).toEqual(['127.0.0.1', '::1']);
    expect(ownAddresses('[::1]')).toEqual(['::1']);
    expect(ownAddresses('192.168.1.5')).toEqual([]);
    expect(lockedOut(['10.0.0.0/8'], [], ['127.0.0.1'])).toEqual(['127.0.0.1']);
    expect(lockedOut(['127.0.0.1'], [], ['127.0.0.1', '::1'])).toEqual(['::1']);
    expect(lockedOut([], ['127.0.0.0/8'], ['127.0.0.1'])).toEqual(['127.0.0.1']);
  });
});

describe('settings patch', () => {
  it('holds only the sections and fields that changed', async () => {
    const { settingsPatch } = await import('./settings');
    const before: Settings = {
      routing: { accountStrategy: 'fill-first', providerStrategies: {}, stickyLimit: 3, comboDefaultStrategy: 'priority', headroomThreshold: 0.95 },
      ai: { systemPromptPrefix: '', systemPromptSuffix: '', comboSystemPrompts: {}, thinkingMode: 'passthrough', thinkingBudget: null, effortBudgets: { low: 1, medium: 2, high: 3 } },
      security: { requireApiKeyForModels: false, ipAllow: [], ipDeny: [], blockedProviders: [] },
      cache: { enabled: true, ttlSeconds: 3600, maxEntries: 1000, maxMegabytes: 64 },
      logs: { maxAgeDays: 7, maxMegabytes: 256, maxBodyKilobytes: 256 },
      notifications: { quotaAt80: true, quotaAt95: true, quotaAt100: true, quotaReset: true },
    };
    expect(settingsPatch(before, { security: { ...before.security } })).toBeNull();
    expect(
      settingsPatch(before, {
        ai: { ...before.ai, thinkingMode: 'fixed', thinkingBudget: 2048 },
        cache: { ...before.cache },
      }),
    ).toEqual({ ai: { thinkingMode: 'fixed', thinkingBudget: 2048 } });
    expect(settingsPatch(before, { notifications: { ...before.notifications, quotaAt95: false } })).toEqual({
      notifications: { quotaAt95: false },
    });
  });
});
