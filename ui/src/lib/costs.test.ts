import { describe, expect, it } from 'vitest';
import { barPercent, filterPrices, isModelId, modelTestId, parsePrice, sortBudgets, type BudgetStatus, type PriceRow } from './costs';

const rows: PriceRow[] = [
  { model: 'openai/gpt-4o', inputPer1k: 0.0025, outputPer1k: 0.01, source: 'catalog' },
  { model: 'openai/gpt-4o-mini', inputPer1k: 0.00015, outputPer1k: 0.0006, source: 'custom' },
  { model: 'cc/claude-sonnet-4-5', inputPer1k: 0, outputPer1k: 0, source: 'included-tier' },
];

describe('costs helpers', () => {
  it('makes model ids usable in test ids', () => {
    expect(modelTestId('openai/gpt-4o')).toBe('openai_gpt-4o');
    expect(modelTestId('a/b/c')).toBe('a_b_c');
  });

  it('searches by every word and by source', () => {
    expect(filterPrices(rows, 'GPT mini').map((r) => r.model)).toEqual(['openai/gpt-4o-mini']);
    expect(filterPrices(rows, '  ').length).toBe(3);
    expect(filterPrices(rows, 'openai', 'catalog').map((r) => r.model)).toEqual(['openai/gpt-4o']);
  });

  it('reads prices', () => {
    expect(parsePrice('0.5')).toBe(0.5);
    expect(parsePrice('0,25')).toBe(0.25);
    expect(parsePrice(3)).toBe(3);
    expect(parsePrice('')).toBeNull();
    expect(parsePrice('-1')).toBeNull();
    expect(parsePrice('abc')).toBeNull();
  });

  it('checks model ids', () => {
    expect(isModelId('mock/m-1')).toBe(true);
    expect(isModelId('mock/')).toBe(false);
    expect(isModelId('/m')).toBe(false);
    expect(isModelId('m')).toBe(false);
    expect(isModelId('a b/c')).toBe(false);
  });

  it('clamps bars and sorts budgets', () => {
    expect(barPercent({ percent: 150 })).toBe(100);
    expect(barPercent({ percent: -1 })).toBe(0);
    expect(barPercent({ percent: NaN })).toBe(100);
    const b = (keyName: string, period: BudgetStatus['period']): BudgetStatus => ({
      keyId: keyName,
      keyName,
      period,
      limit: 1,
      spent: 0,
      remaining: 1,
      percent: 0,
      state: 'ok',
      resetsAt: '',
    });
    expect(sortBudgets([b('b', 'daily'), b('a', 'monthly'), b('a', 'daily')]).map((x) => `${x.keyName}-${x.period}`)).toEqual([
      'a-daily',
      'a-monthly',
      'b-daily',
    ]);
  });
});
