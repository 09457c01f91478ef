import { describe, expect, it } from 'vitest';
import { FOLLOW_EVERY_MS, followActiveCombo, type FollowEnv } from './active-combo';

/** A hand-driven environment: the test fires the timer and "window shown" itself. */
function fakeEnv(answers: (string | null | Error)[]) {
  const state = { tick: null as null | (() => void), shown: null as null | (() => void), visible: true, asked: 0, stopped: 0, period: 0 };
  const env: FollowEnv = {
    fetchActive: async () => {
      const answer = answers[Math.min(state.asked++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    every: (fn, ms) => {
      state.tick = fn;
      state.period = ms;
      return () => state.stopped++;
    },
    onShown: (fn) => {
      state.shown = fn;
      return () => state.stopped++;
    },
    visible: () => state.visible,
  };
  return { env, state };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('followActiveCombo', () => {
  it('reports a combo switched elsewhere, and only changes', async () => {
    let active: string | null = 'cheap';
    const seen: (string | null)[] = [];
    const { env, state } = fakeEnv(['cheap', 'premium', 'premium', null]);
    followActiveCombo(() => active, (name) => { seen.push(name); active = name; }, env);
    expect(state.period).toBe(FOLLOW_EVERY_MS);
    for (let i = 0; i < 4; i++) {
      state.tick!();
      await settle();
    }
    expect(seen).toEqual(['premium', null]);
  });

  it('does not ask while the page is hidden, and asks at once when it is shown', async () => {
    const seen: (string | null)[] = [];
    const { env, state } = fakeEnv(['premium']);
    followActiveCombo(() => 'cheap', (name) => seen.push(name), env);
    state.visible = false;
    state.tick!();
    await settle();
    expect(state.asked).toBe(0);
    state.shown!();
    await settle();
    expect(seen).toEqual(['premium']);
  });

  it('skips a failed check and stops cleanly', async () => {
    const seen: (string | null)[] = [];
    const { env, state } = fakeEnv([new Error('network'), 'premium']);
    const stop = followActiveCombo(() => 'cheap', (name) => seen.push(name), env);
    state.tick!();
    await settle();
    expect(seen).toEqual([]);
    stop();
    expect(state.stopped).toBe(2);
    state.tick!();
    await settle();
    expect(seen).toEqual([]);
  });
});
