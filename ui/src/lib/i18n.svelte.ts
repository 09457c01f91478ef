// The dashboard's language: every user-facing string goes through `t`. A language is one file
// in `src/locales/` (`xx.json`, with `_name` its own name); it is picked up at build time.

import { flatten, interpolate, lookup, pickLocale, type Catalog } from './i18n-core';

const files = import.meta.glob<{ default: Record<string, unknown> }>('../locales/*.json', { eager: true });

export const catalogs: Record<string, Catalog> = {};
for (const [path, module] of Object.entries(files)) {
  const code = path.split('/').pop()!.replace('.json', '');
  catalogs[code] = flatten(module.default);
}

export const languages = Object.keys(catalogs)
  .sort()
  .map((code) => ({ code, name: catalogs[code]._name ?? code }));

const STORAGE_KEY = 'omniroute.locale';

function initial(): string {
  const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  if (stored && catalogs[stored]) return stored;
  const wanted = typeof navigator !== 'undefined' ? navigator.languages ?? [navigator.language] : [];
  return pickLocale(wanted, Object.keys(catalogs));
}

const state = $state({ locale: initial() });

export function t(key: string, params?: Record<string, string | number>): string {
  return interpolate(lookup(catalogs, state.locale, key), params);
}

export function locale(): string {
  return state.locale;
}

/** Switches the language; `system` follows the browser again. */
export function setLocale(code: string): void {
  if (code === 'system') {
    localStorage.removeItem(STORAGE_KEY);
    state.locale = pickLocale(navigator.languages ?? [navigator.language], Object.keys(catalogs));
  } else if (catalogs[code]) {
    localStorage.setItem(STORAGE_KEY, code);
    state.locale = code;
  }
  document.documentElement.lang = state.locale;
}

/** Numbers, money and dates in the current language. */
export function formatNumber(n: number, digits = 0): string {
  return new Intl.NumberFormat(state.locale, { maximumFractionDigits: digits }).format(n);
}

export function formatUsd(n: number): string {
  return new Intl.NumberFormat(state.locale, { style: 'currency', currency: 'USD', maximumFractionDigits: n < 1 ? 4 : 2 }).format(n);
}

export function formatTime(ms: number): string {
  return new Intl.DateTimeFormat(state.locale, { dateStyle: 'short', timeStyle: 'medium' }).format(new Date(ms));
}
