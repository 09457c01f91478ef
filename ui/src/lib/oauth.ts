// Signing in to subscription providers: which flows a provider's OAuth spec offers, which one
// to suggest where the dashboard runs, what a pasted answer is, and a signed-in account's token
// state as a badge. The flows themselves run in the gateway (`/api/oauth`).

import type { AuthView, FlowKind, FlowStart, FlowView, OAuthSpec } from './api-types';

export type { AuthView, FlowKind, FlowStart, FlowView, OAuthSpec };

/** The flows a spec offers, in the order the dashboard lists them. */
export function offeredFlows(spec: OAuthSpec | null | undefined): FlowKind[] {
  if (!spec) return [];
  const flows: FlowKind[] = [];
  if (spec.authorize_url && spec.redirect) flows.push('browser');
  if (spec.device) flows.push('device');
  if (spec.authorize_url && (spec.paste_redirect_uri || spec.redirect)) flows.push('paste');
  return flows;
}

/** Whether the page was opened on the gateway's own machine (a loopback address). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The flow to suggest: the browser flow when the dashboard runs on the gateway's machine (the
 * provider redirects to a listener there); from another machine that redirect cannot reach the
 * gateway, so pasting the code (or a device code) comes first.
 */
export function preferredFlow(flows: readonly FlowKind[], hostname: string): FlowKind | null {
  const order: FlowKind[] = isLoopbackHost(hostname) ? ['browser', 'device', 'paste'] : ['paste', 'device', 'browser'];
  return order.find((f) => flows.includes(f)) ?? null;
}

/**
 * What the user pasted, as the complete request wants it: a full address (the page the
 * browser ended on) as `callbackUrl`, anything else (`code` or `code#state`) as `code`.
 */
export function pastedAnswer(text: string): { callbackUrl: string } | { code: string } | null {
  const value = text.trim();
  if (!value) return null;
  if (/^https?:\/\//i.test(value) || /^[\w.-]+(:\d+)?\/\S*[?&]code=/.test(value)) {
    return { callbackUrl: /^https?:\/\//i.test(value) ? value : `http://${value}` };
  }
  return { code: value };
}

/** Seconds left of a flow started at `startedAt` (ms) that lasts `expiresIn` seconds. */
export function secondsLeft(startedAt: number, expiresIn: number, now: number): number {
  return Math.max(0, Math.ceil((startedAt + expiresIn * 1000 - now) / 1000));
}

/** A flow that is over: connected, failed or expired. */
export function finished(view: Pick<FlowView, 'status'>): boolean {
  return view.status !== 'pending';
}

export type TokenBadge = { state: 'ok' | 'refreshing' | 'needs-sign-in' | 'unknown'; level: 'ok' | 'warn' | 'muted' };

/** A signed-in account's token state as a badge (needs sign-in in the warning colour). */
export function tokenBadge(auth: Pick<AuthView, 'state'>): TokenBadge {
  switch (auth.state) {
    case 'ok':
      return { state: 'ok', level: 'ok' };
    case 'refreshing':
      return { state: 'refreshing', level: 'muted' };
    case 'needs-sign-in':
      return { state: 'needs-sign-in', level: 'warn' };
    default:
      return { state: 'unknown', level: 'muted' };
  }
}

/** Whether a connection is a signed-in (OAuth) account rather than an API key. */
export function isSignedIn(c: { authKind: string; auth?: AuthView }): boolean {
  return c.authKind === 'oauth' || c.auth?.kind === 'oauth';
}
