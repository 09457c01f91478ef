import { describe, expect, it } from 'vitest';
import { usableLanguages } from './locale-guard';

describe('locale guard', () => {
  it('drops tags Intl rejects, such as the C locale WebKitGTK reports', () => {
    expect(() => new Intl.NumberFormat('C')).toThrow(RangeError);
    expect(usableLanguages(['C'])).toEqual(['en-US']);
    expect(usableLanguages(['C', 'da-DK'])).toEqual(['da-DK']);
    expect(usableLanguages([])).toEqual(['en-US']);
  });

  it('keeps valid tags in their order', () => {
    expect(usableLanguages(['da-DK', 'en'])).toEqual(['da-DK', 'en']);
  });
});
