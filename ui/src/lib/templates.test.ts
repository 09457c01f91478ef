import { describe, expect, it } from 'vitest';
import { TEMPLATES } from './templates';
import { STRATEGIES, draftProblem, isRoutableId } from './combos';
import en from '../locales/en.json';

describe('combo templates', () => {
  it('are the guide examples, each named once', () => {
    const names = TEMPLATES.map((t) => t.name);
    expect(names).toEqual(['maximize-claude', 'free-forever', 'always-on', 'openclaw-free', 'premium-coding']);
    expect(new Set(names).size).toBe(names.length);
  });

  for (const t of TEMPLATES) {
    it(`${t.name} is a valid combo`, () => {
      expect(t.name.trim()).not.toBe('');
      expect(t.name).not.toContain('/');
      expect(STRATEGIES).toContain(t.strategy);
      expect(t.models.length).toBeGreaterThan(0);
      for (const m of t.models) {
        expect(isRoutableId(m.model), m.model).toBe(true);
        expect(Number.isInteger(m.weight) && m.weight >= 0).toBe(true);
      }
      expect(new Set(t.models.map((m) => m.model)).size).toBe(t.models.length);
      expect(draftProblem({ id: null, ...t, models: [...t.models] })).toBeNull();
    });

    it(`${t.name} has a description in the catalog`, () => {
      const descriptions = (en as { combos: { templateInfo: Record<string, string> } }).combos.templateInfo;
      expect(descriptions[t.name]).toBeTruthy();
    });
  }
});
