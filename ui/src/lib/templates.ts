// Combo templates: the user guide's examples, one click away on the Combos page. Data only;
// the page pre-fills its editor from one and the user may change it before saving.

import type { Strategy, Target } from './combos';

export type Template = {
  name: string;
  strategy: Strategy;
  models: Target[];
};

const ordered = (...models: string[]): Target[] => models.map((model) => ({ model, weight: 1 }));

export const TEMPLATES: readonly Template[] = [
  {
    // A Claude subscription used fully, then cheap, then free.
    name: 'maximize-claude',
    strategy: 'priority',
    models: ordered('cc/claude-opus-4-6', 'glm/glm-4.7', 'if/kimi-k2-thinking'),
  },
  {
    // Nothing paid: Gemini CLI's free quota, then unlimited free providers.
    name: 'free-forever',
    strategy: 'priority',
    models: ordered('gc/gemini-3-flash-preview', 'if/kimi-k2-thinking', 'qw/qwen3-coder-plus'),
  },
  {
    // Five layers of fallback: two subscriptions, two cheap providers, one free.
    name: 'always-on',
    strategy: 'priority',
    models: ordered('cc/claude-opus-4-6', 'cx/gpt-5.2-codex', 'glm/glm-4.7', 'minimax/MiniMax-M2.1', 'if/kimi-k2-thinking'),
  },
  {
    // Free models for an assistant in messaging apps.
    name: 'openclaw-free',
    strategy: 'priority',
    models: ordered('if/glm-4.7', 'if/minimax-m2.1', 'if/kimi-k2-thinking'),
  },
  {
    // Subscription first, then the cheapest paid backups.
    name: 'premium-coding',
    strategy: 'priority',
    models: ordered('cc/claude-opus-4-6', 'glm/glm-4.7', 'minimax/MiniMax-M2.1'),
  },
];
