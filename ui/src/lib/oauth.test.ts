import { describe, expect, it } from 'vitest';
import { finished, isLoopbackHost, isSignedIn, offeredFlows, pastedAnswer, preferredFlow, secondsLeft, tokenBadge, type OAuthSpec } from './oauth';

const spec = (extra: Partial<OAuthSpec>): OAuthSpec => ({
  token_url: 'https://auth.test/token',
  token_encoding: 'form',
  client_id: 'c',
  refresh_margin_secs: 60,
  ...extra,
});
const redirect = { host: '127.0.0.1', path: '/callback' };
const device = { protocol: 'rfc8628' as const, code_url: 'https://auth.test/device', token_url: 'https://auth.test/token' };

describe('sign-in flows', () => {
  it('offers the flows the spec has data for', () => {
    expect(offeredFlows(null)).toEqual([]);
    expect(offeredFlows(spec({ device }))).toEqual(['device']);
    expect(offeredFlows(spec({ authorize_url: 'https://auth.test/a', redirect }))).toEqual(['browser', 'paste']);
    expect(offeredFlows(spec({ authorize_url: 'https://auth.test/a', redirect, device }))).toEqual(['browser', 'device', 'paste']);
    expect(offeredFlows(spec({ authorize_url: 'https://auth.test/a', paste_redirect_uri: 'https://x/code' }))).toEqual(['paste']);
    // No authorization endpoint: a redirect alone is no browser flow.
    expect(offeredFlows(spec({ redirect }))).toEqual([]);
  });

  it('knows loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]', 'app.localhost']) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['192.168.1.5', 'gateway.lan', '10.0.0.1', 'localhost.example.com']) expect(isLoopbackHost(h)).toBe(false);
  });

  it('suggests the browser on the gateway machine, pasting or a device code elsewhere', () => {
    expect(preferredFlow(['browser', 'device', 'paste'], 'localhost')).toBe('browser');
    expect(preferredFlow(['browser', 'device', 'paste'], '192.168.1.5')).toBe('paste');
    expect(preferredFlow(['browser', 'device'], 'gateway.lan')).toBe('device');
    expect(preferredFlow(['browser'], 'gateway.lan')).toBe('browser');
    expect(preferredFlow(['device', 'paste'], '127.0.0.1')).toBe('device');
    expect(preferredFlow([], 'localhost')).toBeNull();
  });

  it('reads a pasted address as the callback, anything else as the code', () => {
    expect(pastedAnswer('  ')).toBeNull();
    expect(pastedAnswer(' http://localhost:1455/auth/callback?code=abc&state=s ')).toEqual({
      callbackUrl: 'http://localhost:1455/auth/callback?code=abc&state=s',
    });
    expect(pastedAnswer('localhost:1455/auth/callback?code=abc&state=s')).toEqual({
      callbackUrl: 'http://localhost:1455/auth/callback?code=abc&state=s',
    });
    expect(pastedAnswer('abc123#state-9')).toEqual({ code: 'abc123#state-9' });
  });

  it('counts down and tells finished flows', () => {
    expect(secondsLeft(1_000, 60, 1_000)).toBe(60);
    expect(secondsLeft(1_000, 60, 30_500)).toBe(31);
    expect(secondsLeft(1_000, 60, 100_000)).toBe(0);
    expect(finished({ status: 'pending' })).toBe(false);
    expect(finished({ status: 'expired' })).toBe(true);
  });
});

describe('signed-in accounts', () => {
  it('shows the token state, needs sign-in as a warning', () => {
    expect(tokenBadge({ state: 'ok' })).toEqual({ state: 'ok', level: 'ok' });
    expect(tokenBadge({ state: 'needs-sign-in' })).toEqual({ state: 'needs-sign-in', level: 'warn' });
    expect(tokenBadge({ state: 'refreshing' }).level).toBe('muted');
    expect(tokenBadge({ state: 'weird' }).state).toBe('unknown');
  });

  it('tells signed-in accounts from API keys', () => {
    expect(isSignedIn({ authKind: 'oauth' })).toBe(true);
    expect(isSignedIn({ authKind: 'api_key' })).toBe(false);
    expect(isSignedIn({ authKind: 'x', auth: { kind: 'oauth', account: null, plan: null, expiresAt: null, state: 'ok' } })).toBe(true);
  });
});

describe('sign-in messages', () => {
  it('exist for every literal key in the provider components and every built key', async () => {
    const { flatten } = await import('./i18n-core');
    const en = flatten((await import('../locales/en.json')).default);
    const sources = import.meta.glob<string>('../components/providers/*.svelte', { query: '?raw', import: 'default', eager: true });
    const literal = Object.values(sources).flatMap((s) => [...s.matchAll(/\bt\('([\w.-]+)'/g)].map((m) => m[1]));
    expect(literal).toContain('providers.oauth.signIn');
    const built = [
      ...['browser', 'device', 'paste'].flatMap((f) => [`providers.oauth.flows.${f}`, `providers.oauth.flowHelp.${f}`]),
      ...['ok', 'refreshing', 'needs-sign-in', 'unknown'].map((s) => `providers.oauth.token.${s}`),
    ];
    expect([...literal, ...built].filter((k) => !(k in en))).toEqual([]);
  });
});
