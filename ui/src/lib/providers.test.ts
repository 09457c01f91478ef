import { describe, expect, it } from 'vitest';
import { accountState, byTier, defaultTestModel, formatRemaining, pricingHint, quotaBar, usesApiKey, validPrefix, type CatalogProvider, type Resilience } from './providers';

const p = (id: string, tier: string, models: CatalogProvider['models'] = [], login: CatalogProvider['login'] = 'api_key'): CatalogProvider => ({
  id, name: id.toUpperCase(), tier, wire: 'openai', base_url: 'https://example.test', auth: 'bearer', login, models,
});

const empty: Resilience = { breakers: {}, cooldowns: [], accounts: [], lockouts: [] };

describe('provider catalog', () => {
  it('groups by tier in the guide order, unknown tiers last', () => {
    const groups = byTier([p('a', 'api-key'), p('x', 'weird'), p('s', 'subscription'), p('f', 'free'), p('b', 'api-key')]);
    expect(groups.map((g) => g.tier)).toEqual(['subscription', 'free', 'api-key', 'weird']);
    expect(groups[2].providers.map((x) => x.id)).toEqual(['a', 'b']);
  });

  it('prices: subscription and free by tier, others from the cheapest chat input price', () => {
    expect(pricingHint(p('cc', 'subscription', [{ id: 'm', kind: 'chat', input_per_1k: 0 }]))).toEqual({ kind: 'subscription' });
    expect(pricingHint(p('if', 'free'))).toEqual({ kind: 'free' });
    expect(
      pricingHint(p('openai', 'api-key', [
        { id: 'a', kind: 'chat', input_per_1k: 0.0025 },
        { id: 'b', kind: 'chat', input_per_1k: 0.00015 },
        { id: 'e', kind: 'embedding', input_per_1k: 0.00002 },
        { id: 'i', kind: 'image', input_per_1k: null },
      ])),
    ).toEqual({ kind: 'from', inputPer1k: 0.00015 });
    expect(pricingHint(p('nvidia', 'api-key', [{ id: 'a', kind: 'chat', input_per_1k: 0 }]))).toEqual({ kind: 'free' });
    expect(pricingHint(p('deepgram', 'audio', [{ id: 'nova', kind: 'audio' }]))).toEqual({ kind: 'metered' });
  });

  it('tells API-key providers from OAuth and device-code ones', () => {
    expect(usesApiKey({ login: 'api_key' })).toBe(true);
    expect(usesApiKey({ login: 'oauth_pkce' })).toBe(false);
    expect(usesApiKey({ login: 'device_code' })).toBe(false);
    expect(usesApiKey({ login: 'oauth' })).toBe(false);
  });
});

describe('account status', () => {
  const c = { id: 'c1', provider: 'openai', enabled: true };

  it('is healthy without resilience data or with a closed breaker', () => {
    expect(accountState(c, null)).toEqual({ kind: 'healthy' });
    expect(accountState(c, { ...empty, breakers: { openai: { state: 'CLOSED', failures: 2 } } })).toEqual({ kind: 'healthy' });
  });

  it('reports disabled, locked, open circuit, cooldown and recovering in that precedence', () => {
    const r: Resilience = {
      breakers: { openai: { state: 'OPEN', until: 5 } },
      cooldowns: [{ connection: 'c1', scope: 'account', model: null, remaining_ms: 4200, reason: 'rate_limited', strikes: 1 }],
      accounts: [],
      lockouts: [{ id: 'l', scope: 'connection', target: 'c1', reason: 'by hand', until: null, createdAt: 0 }],
    };
    expect(accountState({ ...c, enabled: false }, r)).toEqual({ kind: 'disabled' });
    expect(accountState(c, r)).toEqual({ kind: 'locked', reason: 'by hand' });
    expect(accountState(c, { ...r, lockouts: [] })).toEqual({ kind: 'open' });
    const closed = { ...r, lockouts: [], breakers: { openai: { state: 'CLOSED' } } };
    expect(accountState(c, closed)).toEqual({ kind: 'cooling', remainingMs: 4200, reason: 'rate_limited' });
    expect(accountState(c, { ...empty, breakers: { openai: { state: 'HALF_OPEN', probing: false } } })).toEqual({ kind: 'recovering' });
    expect(accountState({ ...c, id: 'other' }, closed)).toEqual({ kind: 'healthy' });
    const modelOnly = { ...closed, cooldowns: [{ ...closed.cooldowns[0], scope: 'model' as const, model: 'openai/gpt-4o' }] };
    expect(accountState(c, modelOnly)).toEqual({ kind: 'healthy' });
  });

  it('draws a quota window as a bar with its urgency and reset', () => {
    expect(quotaBar({ usedFraction: 0.42, resetsAt: 61_000 }, 1_000)).toEqual({ percent: 42, level: 'ok', resetsInMs: 60_000 });
    expect(quotaBar({ usedFraction: 0.8, resetsAt: null }, 0)).toEqual({ percent: 80, level: 'warn', resetsInMs: null });
    expect(quotaBar({ usedFraction: 1.3, resetsAt: 5 }, 10)).toEqual({ percent: 100, level: 'bad', resetsInMs: 0 });
  });

  it('formats the time left, rounding up', () => {
    expect(formatRemaining(32)).toBe('1s');
    expect(formatRemaining(4200)).toBe('5s');
    expect(formatRemaining(95_000)).toBe('1m 35s');
    expect(formatRemaining(3_720_000)).toBe('1h 02m');
    expect(formatRemaining(-5)).toBe('0s');
  });
});

describe('helpers', () => {
  it('picks a default test model: the first built-in chat model, else a custom one', () => {
    const catalog = [p('openai', 'api-key', [{ id: 'whisper', kind: 'audio' }, { id: 'gpt-5', kind: 'chat' }])];
    const custom = [{ provider: 'mock', modelId: 'm-1', modelName: 'm-1', kind: 'chat' }];
    expect(defaultTestModel('openai', catalog, custom)).toBe('gpt-5');
    expect(defaultTestModel('mock', catalog, custom)).toBe('m-1');
    expect(defaultTestModel('nope', catalog, custom)).toBe('');
  });

  it('validates node prefixes like the gateway', () => {
    expect(validPrefix('my-llm_2.0')).toBe(true);
    expect(validPrefix('a/b')).toBe(false);
    expect(validPrefix('')).toBe(false);
  });
});

describe('Providers page messages', () => {
  it('exist for every tier, API type, price hint, login method and status', async () => {
    const { flatten } = await import('./i18n-core');
    const en = flatten((await import('../locales/en.json')).default);
    const { TIERS, API_TYPES } = await import('./providers');
    const keys = [
      ...TIERS.flatMap((t) => [`providers.tier.${t}`, `providers.tierHelp.${t}`]),
      ...API_TYPES.map((a) => `providers.nodes.types.${a}`),
      ...['free', 'subscription', 'metered', 'from'].map((k) => `providers.price.${k}`),
      ...['oauth_pkce', 'oauth', 'device_code', 'api_key'].map((k) => `providers.login.${k}`),
      ...['healthy', 'disabled', 'open', 'recovering', 'cooling', 'locked'].map((k) => `providers.status.${k}`),
    ];
    expect(keys.filter((k) => !(k in en))).toEqual([]);
  });
});
