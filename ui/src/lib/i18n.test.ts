import { describe, expect, it } from 'vitest';
import { flatten, interpolate, lookup, missingKeys, pickLocale } from './i18n-core';
import en from '../locales/en.json';
import da from '../locales/da.json';

describe('message catalogs', () => {
  it('flattens nested messages into dotted keys', () => {
    expect(flatten({ a: { b: 'x', c: { d: 'y' } }, e: 'z' })).toEqual({ 'a.b': 'x', 'a.c.d': 'y', e: 'z' });
  });

  it('interpolates named parameters and leaves unknown ones visible', () => {
    expect(interpolate('{count} key(s): {names}', { count: 2, names: 'a, b' })).toBe('2 key(s): a, b');
    expect(interpolate('hello {who}', {})).toBe('hello {who}');
  });

  it('falls back to English, then to the key', () => {
    const catalogs = { en: { a: 'A', b: 'B' }, da: { a: 'Å' } };
    expect(lookup(catalogs, 'da', 'a')).toBe('Å');
    expect(lookup(catalogs, 'da', 'b')).toBe('B');
    expect(lookup(catalogs, 'da', 'c')).toBe('c');
  });

  it('picks the first language that has a catalog', () => {
    expect(pickLocale(['fr-FR', 'da-DK', 'en'], ['da', 'en'])).toBe('da');
    expect(pickLocale(['fr'], ['da', 'en'])).toBe('en');
    expect(pickLocale(['EN-gb'], ['da', 'en'])).toBe('en');
  });

  it('Danish is as complete as English, and the other way round', () => {
    expect(missingKeys(flatten(en), flatten(da))).toEqual([]);
    expect(missingKeys(flatten(da), flatten(en))).toEqual([]);
  });
});
