// The active combo can change outside the page: the desktop tray switches it, so does another
// browser tab or a script calling the management API. Pages that show it follow it: they ask
// again every few seconds while visible, and at once when the window comes back to the front.

import { api } from './api';
import { onWindowShown } from './window-shown';

/** What the follower needs from the page's environment (the browser's, by default). */
export type FollowEnv = {
  fetchActive: () => Promise<string | null>;
  every: (fn: () => void, ms: number) => () => void;
  onShown: (fn: () => void) => () => void;
  visible: () => boolean;
};

export const FOLLOW_EVERY_MS = 3000;

const browserEnv = (): FollowEnv => ({
  fetchActive: async () => (await api.get<{ name: string | null }>('/api/combos/active')).name,
  every: (fn, ms) => {
    const id = setInterval(fn, ms);
    return () => clearInterval(id);
  },
  onShown: onWindowShown,
  visible: () => document.visibilityState === 'visible',
});

/**
 * Calls `onChange` with the active combo's name (or null) whenever it differs from `current()`.
 * A failed check is skipped: the page's own load shows errors. Returns the function that stops
 * following (for `onMount`'s cleanup).
 */
export function followActiveCombo(
  current: () => string | null,
  onChange: (name: string | null) => void,
  env: FollowEnv = browserEnv(),
): () => void {
  let checking = false;
  let stopped = false;
  const check = async () => {
    if (checking || stopped) return;
    checking = true;
    try {
      const name = await env.fetchActive();
      if (!stopped && name !== current()) onChange(name);
    } catch {
      // Next tick tries again.
    } finally {
      checking = false;
    }
  };
  const stopTimer = env.every(() => {
    if (env.visible()) void check();
  }, FOLLOW_EVERY_MS);
  const stopShown = env.onShown(() => void check());
  return () => {
    stopped = true;
    stopTimer();
    stopShown();
  };
}
