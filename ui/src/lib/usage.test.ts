import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  HOUR_MS,
  MAX_BUCKETS,
  breakdown,
  bucketFor,
  chartData,
  dateInputValue,
  options,
  parseDateInput,
  parseFallbacks,
  queryString,
  rangeBounds,
  routeOf,
  timeSeries,
  type Group,
} from './usage';

function group(group: string | null, over: Partial<Group> = {}): Group {
  return {
    group,
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costUsd: 0,
    avgLatencyMs: 0,
    ...over,
  };
}

describe('ranges', () => {
  const now = new Date(2026, 10, 25, 14, 30); // 25 Nov 2026, 14:30 local

  it('today runs from local midnight to now', () => {
    expect(rangeBounds('today', now)).toEqual({ from: new Date(2026, 10, 25).getTime(), to: now.getTime() });
  });

  it('7 and 30 days include today', () => {
    expect(rangeBounds('7d', now).from).toBe(new Date(2026, 10, 19).getTime());
    expect(rangeBounds('30d', now).from).toBe(new Date(2026, 9, 27).getTime());
  });

  it('a custom range covers both its days, in either order', () => {
    const want = { from: new Date(2026, 10, 1).getTime(), to: new Date(2026, 10, 4).getTime() };
    expect(rangeBounds('custom', now, { from: '2026-11-01', to: '2026-11-03' })).toEqual(want);
    expect(rangeBounds('custom', now, { from: '2026-11-03', to: '2026-11-01' })).toEqual(want);
  });

  it('a custom range without dates is today', () => {
    const r = rangeBounds('custom', now, { from: '', to: 'nonsense' });
    expect(r.from).toBe(new Date(2026, 10, 25).getTime());
    expect(r.to).toBe(new Date(2026, 10, 26).getTime());
  });

  it('date inputs round-trip', () => {
    expect(dateInputValue(new Date(2026, 0, 5, 23, 59).getTime())).toBe('2026-01-05');
    expect(parseDateInput('2026-01-05')).toBe(new Date(2026, 0, 5).getTime());
    expect(parseDateInput('5/1/2026')).toBeNull();
  });

  it('hourly up to two days, daily beyond', () => {
    expect(bucketFor(0, 2 * DAY_MS)).toBe('hour');
    expect(bucketFor(0, 2 * DAY_MS + 1)).toBe('day');
  });
});

describe('query strings', () => {
  it('leaves out empty values', () => {
    expect(queryString({ from: 1, to: '', provider: null, model: undefined, key: 'k 1' })).toBe('?from=1&key=k+1');
    expect(queryString({ a: '' })).toBe('');
  });
});

describe('time series', () => {
  it('fills empty hours with zeros', () => {
    const from = 10 * HOUR_MS + 1234;
    const to = 14 * HOUR_MS + 5;
    const s = timeSeries(
      [
        group(String(11 * HOUR_MS), { requests: 3, errors: 1, costUsd: 0.5, inputTokens: 10, outputTokens: 5 }),
        group(String(13 * HOUR_MS), { requests: 1 }),
      ],
      from,
      to,
      'hour',
    );
    expect(s.ts).toEqual([10, 11, 12, 13, 14].map((h) => (h * HOUR_MS) / 1000));
    expect(s.requests).toEqual([0, 3, 0, 1, 0]);
    expect(s.errors).toEqual([0, 1, 0, 0, 0]);
    expect(s.costUsd).toEqual([0, 0.5, 0, 0, 0]);
    expect(s.tokens).toEqual([0, 15, 0, 0, 0]);
    expect(chartData(s)).toEqual([s.ts, s.requests, s.costUsd]);
  });

  it('daily buckets are UTC days, and groups outside the window or not numbers are ignored', () => {
    const s = timeSeries(
      [group(String(2 * DAY_MS), { requests: 2 }), group(String(9 * DAY_MS), { requests: 7 }), group(null, { requests: 4 })],
      DAY_MS + 5,
      4 * DAY_MS,
      'day',
    );
    expect(s.ts).toEqual([1, 2, 3].map((d) => (d * DAY_MS) / 1000));
    expect(s.requests).toEqual([0, 2, 0]);
  });

  it('always has one bucket, and never more than the cap', () => {
    expect(timeSeries([], 5, 5, 'hour').ts).toHaveLength(1);
    expect(timeSeries([], 0, 10_000 * DAY_MS, 'day').ts).toHaveLength(MAX_BUCKETS);
  });
});

describe('breakdown', () => {
  const groups = [
    group('openai', { requests: 1, costUsd: 3, inputTokens: 5, outputTokens: 5 }),
    group('anthropic', { requests: 3, costUsd: 1 }),
    group(null, { requests: 0 }),
  ];

  it('sorts by the measure with bars and shares', () => {
    const b = breakdown(groups, 'requests');
    expect(b.map((r) => r.group)).toEqual(['anthropic', 'openai', '']);
    expect(b.map((r) => r.bar)).toEqual([1, 1 / 3, 0]);
    expect(b.map((r) => r.share)).toEqual([0.75, 0.25, 0]);
    expect(breakdown(groups, 'costUsd')[0].group).toBe('openai');
    expect(breakdown(groups, 'tokens')[0].value).toBe(10);
  });

  it('an all-zero measure has empty bars, not NaN', () => {
    const b = breakdown([group('a'), group('b')], 'costUsd');
    expect(b.every((r) => r.bar === 0 && r.share === 0)).toBe(true);
  });

  it('filter options are distinct and sorted, keeping the selection', () => {
    expect(options([group('b'), group('a'), group(''), group(null)], 'z')).toEqual(['a', 'b', 'z']);
  });
});

describe('routes', () => {
  it('reads the fallback reasons', () => {
    const r = routeOf({
      combo: 'dev',
      model: 'mock2/m-2',
      fallbackReasons: '[{"target":"mock/m-1 (mock)","reason":"mock: mock upstream error 500"}]',
    });
    expect(r).toEqual({
      combo: 'dev',
      model: 'mock2/m-2',
      fallbacks: [{ target: 'mock/m-1 (mock)', reason: 'mock: mock upstream error 500' }],
    });
  });

  it('tolerates missing and malformed reasons', () => {
    expect(parseFallbacks(null)).toEqual([]);
    expect(parseFallbacks('not json')).toEqual([]);
    expect(parseFallbacks('{"target":"x"}')).toEqual([]);
    expect(parseFallbacks('[{"target":"x"}, 3]')).toEqual([{ target: 'x', reason: '' }]);
  });
});
