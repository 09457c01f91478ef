// Every literal message key used by the Usage, Costs and Health pages exists in the English
// catalog (the catalog test then checks Danish against English).
import { describe, expect, it } from 'vitest';
import { flatten } from './i18n-core';
import en from '../locales/en.json';

const catalog = flatten(en);
const pages = ['Usage', 'Costs', 'Health'];
const sources = import.meta.glob<string>('../pages/*.svelte', { query: '?raw', import: 'default', eager: true });

describe('message keys of the Usage, Costs and Health pages', () => {
  for (const page of pages) {
    it(`${page} uses only keys that exist`, () => {
      const source = sources[`../pages/${page}.svelte`];
      const keys = [...source.matchAll(/\bt\('([\w.-]+)'/g)].map((m) => m[1]);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((k) => !(k in catalog))).toEqual([]);
    });
  }

  it('the keys built at run time exist', () => {
    const built = [
      ...['today', '7d', '30d', 'custom'].map((k) => `usage.ranges.${k}`),
      ...['hour', 'day'].map((k) => `usage.buckets.${k}`),
      ...['provider', 'model', 'key'].map((k) => `usage.by.${k}`),
      ...['requests', 'costUsd', 'tokens'].map((k) => `usage.metrics.${k}`),
      ...['upstream', 'cache', 'replay'].map((k) => `usage.sources.${k}`),
      ...['daily', 'weekly', 'monthly'].map((k) => `costs.periods.${k}`),
      ...['ok', 'warning', 'exceeded'].map((k) => `costs.states.${k}`),
      ...['custom', 'catalog', 'included-tier', 'unknown'].flatMap((k) => [`costs.sources.${k}`, `costs.sourceHelp.${k}`]),
      ...['ok', 'degraded'].map((k) => `healthPage.status.${k}`),
      ...['failure', 'rate_limited', 'quota'].map((k) => `healthPage.reasons.${k}`),
      ...['model', 'connection'].map((k) => `healthPage.scopes.${k}`),
      ...['closed', 'open', 'half_open'].map((k) => `health.breaker.${k}`),
    ];
    expect(built.filter((k) => !(k in catalog))).toEqual([]);
  });
});
