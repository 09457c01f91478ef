// Every message key the CLI tools page and its components use exists in the English catalog
// (the catalog test then checks Danish against English), those built at run time included.
import { describe, expect, it } from 'vitest';
import { flatten } from './i18n-core';
import en from '../locales/en.json';

const catalog = flatten(en);
const sources = {
  ...import.meta.glob<string>('../pages/CliTools.svelte', { query: '?raw', import: 'default', eager: true }),
  ...import.meta.glob<string>('../components/clitools/*.svelte', { query: '?raw', import: 'default', eager: true }),
  ...import.meta.glob<string>('./cli-tools.ts', { query: '?raw', import: 'default', eager: true }),
};

describe('message keys of the CLI tools page', () => {
  it('finds the page and its components', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(5);
  });

  for (const [file, source] of Object.entries(sources)) {
    it(`${file} uses only keys that exist`, () => {
      const keys = [...source.matchAll(/\bt\('([\w.-]+)'/g)].map((m) => m[1]);
      expect(keys.filter((k) => !(k in catalog))).toEqual([]);
    });
  }

  it('the keys built at run time exist', () => {
    const built = [
      ...['here', 'elsewhere', 'default', 'none', 'unreadable', 'manual'].map((k) => `cli.badge.${k}`),
      ...['settings', 'env', 'legacy'].map((k) => `cli.files.roles.${k}`),
      ...['apply', 'restore'].map((k) => `cli.restore.reasons.${k}`),
    ];
    expect(built.filter((k) => !(k in catalog))).toEqual([]);
  });
});
