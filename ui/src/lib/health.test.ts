import { describe, expect, it } from 'vitest';
import {
  breakerRemainingMs,
  breakerState,
  formatBytes,
  formatDuration,
  formatMs,
  hitRate,
  providerNames,
  remainingAt,
} from './health';

describe('health helpers', () => {
  it('normalises breaker states', () => {
    expect(breakerState({ state: 'HALF_OPEN', probing: false })).toBe('half_open');
    expect(breakerState('OPEN')).toBe('open');
    expect(breakerState(undefined)).toBe('closed');
  });

  it('estimates when an open breaker probes again', () => {
    expect(breakerRemainingMs({ state: 'OPEN', until: 98_937 }, 60, 0)).toBe(38_937);
    expect(breakerRemainingMs({ state: 'OPEN', until: 98_937 }, 60, 40_000)).toBe(0);
    expect(breakerRemainingMs({ state: 'CLOSED', failures: 2 }, 60)).toBeNull();
    expect(breakerRemainingMs({ state: 'OPEN', until: 1 }, undefined)).toBeNull();
  });

  it('counts down', () => {
    expect(remainingAt(5000, 1000, 3000)).toBe(3000);
    expect(remainingAt(5000, 1000, 9000)).toBe(0);
  });

  it('formats durations with the two largest units', () => {
    expect(formatDuration(0, 'en')).toBe('0s');
    expect(formatDuration(45_000, 'en')).toBe('45s');
    expect(formatDuration(200_000, 'en')).toBe('3m 20s');
    expect(formatDuration(3_600_000 + 5000, 'en')).toBe('1h');
    expect(formatDuration(2 * 86_400_000 + 3 * 3_600_000 + 7000, 'en')).toBe('2d 3h');
    expect(formatDuration(3_600_000, 'da')).toMatch(/1\s?t/);
  });

  it('formats sizes', () => {
    expect(formatBytes(512, 'en')).toBe('512 B');
    expect(formatBytes(3400, 'en')).toBe('3.4 kB');
    expect(formatBytes(47_000_000, 'en')).toBe('47 MB');
    expect(formatBytes(150_000_000, 'en')).toBe('150 MB');
  });

  it('hit rate and latency cells', () => {
    expect(hitRate({ entries: 1, bytes: 1, hits: 3, misses: 1 })).toBe(0.75);
    expect(hitRate({ entries: 0, bytes: 0, hits: 0, misses: 0 })).toBeNull();
    expect(formatMs(null, 'en')).toBe('—');
    expect(formatMs(0.943, 'en')).toBe('0.9');
    expect(formatMs(1234.5, 'en')).toBe('1,235');
  });

  it('lists providers with a breaker or a connection', () => {
    expect(providerNames({ b: {}, a: {} }, ['c', 'a'])).toEqual(['a', 'b', 'c']);
  });
});
