import { describe, expect, it } from 'vitest';
import { bodyOf, draftOf, draftProblem, emptyDraft, isRoutableId, isStrategy, move, readCompletion, suggest } from './combos';

describe('combo editing', () => {
  it('moves an item (drag and drop, up/down) without touching the original', () => {
    const list = ['a', 'b', 'c', 'd'];
    expect(move(list, 0, 2)).toEqual(['b', 'c', 'a', 'd']);
    expect(move(list, 3, 0)).toEqual(['d', 'a', 'b', 'c']);
    expect(move(list, 1, 1)).toEqual(list);
    expect(move(list, 0, -1)).toEqual(list);
    expect(move(list, 3, 4)).toEqual(list);
    expect(list).toEqual(['a', 'b', 'c', 'd']);
  });

  it('knows the six strategies and routable ids', () => {
    expect(isStrategy('cost-optimized')).toBe(true);
    expect(isStrategy('fill-first')).toBe(false);
    expect(isRoutableId('openai/gpt-4o')).toBe(true);
    expect(isRoutableId('groq/openai/gpt-oss-120b')).toBe(true);
    expect(isRoutableId('gpt-4o')).toBe(false);
    expect(isRoutableId('/x')).toBe(false);
  });

  it('says why a draft cannot be saved', () => {
    const d = emptyDraft();
    expect(draftProblem(d)).toBe('name');
    expect(draftProblem({ ...d, name: 'a/b' })).toBe('slash');
    expect(draftProblem({ ...d, name: 'x' })).toBe('models');
    expect(draftProblem({ ...d, name: 'x', strategy: 'weighted', models: [{ model: 'a/b', weight: 0 }] })).toBe('weights');
    expect(draftProblem({ ...d, name: 'x', models: [{ model: 'a/b', weight: 0 }] })).toBeNull();
  });

  it('builds the API body from a draft and back', () => {
    const combo = { id: '1', name: ' x ', strategy: 'weighted', models: [{ model: ' a/b ', weight: 2.6 }], position: 0, createdAt: 0, updatedAt: 0 };
    const draft = draftOf(combo);
    expect(draft.strategy).toBe('weighted');
    expect(bodyOf(draft)).toEqual({ name: 'x', strategy: 'weighted', models: [{ model: 'a/b', weight: 3 }] });
    expect(draftOf({ ...combo, strategy: 'bogus' }).strategy).toBe('priority');
  });

  it('suggests matching models, connected first', () => {
    const all = [
      { id: 'openai/gpt-4o', connected: false },
      { id: 'mock/m-1', connected: true },
      { id: 'openrouter/openai/gpt-5', connected: true },
    ];
    expect(suggest(all, 'gpt')).toEqual(['openrouter/openai/gpt-5', 'openai/gpt-4o']);
    expect(suggest(all, '')).toEqual(['mock/m-1', 'openrouter/openai/gpt-5', 'openai/gpt-4o']);
    expect(suggest(all, 'open gpt-4')).toEqual(['openai/gpt-4o']);
  });
});

describe('combo test answers', () => {
  it('reads the answer or the error', () => {
    expect(readCompletion({ choices: [{ message: { content: 'pong' } }] })).toEqual({ answer: 'pong' });
    expect(readCompletion({ choices: [{ message: { content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] } }] })).toEqual({ answer: 'ab' });
    expect(readCompletion({ error: { message: 'all targets failed' } })).toEqual({ error: 'all targets failed' });
    expect(readCompletion('Bad Gateway')).toEqual({ error: 'Bad Gateway' });
    expect(readCompletion(null)).toEqual({});
  });
});

describe('Combos page messages', () => {
  it('exist for every strategy and every reason a draft cannot be saved', async () => {
    const { flatten } = await import('./i18n-core');
    const en = flatten((await import('../locales/en.json')).default);
    const { STRATEGIES } = await import('./combos');
    const keys = [
      ...STRATEGIES.flatMap((s) => [`combos.strategy.${s}`, `combos.strategyHelp.${s}`]),
      ...['name', 'slash', 'models', 'weights'].map((k) => `combos.invalid.${k}`),
    ];
    expect(keys.filter((k) => !(k in en))).toEqual([]);
  });
});
