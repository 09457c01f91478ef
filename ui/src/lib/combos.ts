// The Combos page's pure logic: strategies, the editable draft of a combo, moving a target
// within the list (drag and drop, up/down), and the request body the API expects.

export const STRATEGIES = ['priority', 'round-robin', 'random', 'weighted', 'least-used', 'cost-optimized'] as const;
export type Strategy = (typeof STRATEGIES)[number];

// The API's own shapes, generated from the Rust types (api-types.ts).
import type { Combo, ComboTarget } from './api-types';

export type { Combo };
export type Target = ComboTarget;
export type Draft = { id: string | null; name: string; strategy: Strategy; models: Target[] };

export function isStrategy(s: string): s is Strategy {
  return (STRATEGIES as readonly string[]).includes(s);
}

/** A routable model id: `provider/model` (the model part may contain further slashes). */
export function isRoutableId(id: string): boolean {
  return /^[A-Za-z0-9._-]+\/\S+$/.test(id);
}

/** `list` with the item at `from` moved to index `to` (a new array; out-of-range is a no-op). */
export function move<T>(list: readonly T[], from: number, to: number): T[] {
  const out = [...list];
  if (from < 0 || from >= out.length || to < 0 || to >= out.length || from === to) return out;
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}

export function emptyDraft(): Draft {
  return { id: null, name: '', strategy: 'priority', models: [] };
}

export function draftOf(c: Combo): Draft {
  return {
    id: c.id,
    name: c.name,
    strategy: isStrategy(c.strategy) ? c.strategy : 'priority',
    models: c.models.map((m) => ({ model: m.model, weight: m.weight })),
  };
}

/** Why a draft cannot be saved yet (a message key under `combos.invalid`), or null. */
export function draftProblem(d: Draft): 'name' | 'slash' | 'models' | 'weights' | null {
  const name = d.name.trim();
  if (!name) return 'name';
  if (name.includes('/')) return 'slash';
  if (d.models.length === 0) return 'models';
  if (d.strategy === 'weighted' && !d.models.some((m) => m.weight > 0)) return 'weights';
  return null;
}

/** The body of `POST /api/combos` and `PUT /api/combos/{id}`. */
export function bodyOf(d: Draft): { name: string; strategy: Strategy; models: Target[] } {
  return {
    name: d.name.trim(),
    strategy: d.strategy,
    models: d.models.map((m) => ({ model: m.model.trim(), weight: Math.max(0, Math.round(Number(m.weight) || 0)) })),
  };
}

/** Suggestions for the model picker: ids containing every word typed, connected ones first. */
export function suggest(all: readonly { id: string; connected: boolean }[], query: string, limit = 50): string[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  return all
    .filter((m) => words.every((w) => m.id.toLowerCase().includes(w)))
    .sort((a, b) => Number(b.connected) - Number(a.connected))
    .slice(0, limit)
    .map((m) => m.id);
}

/** The answer text of an OpenAI chat completion, or the error message of a failed request. */
export function readCompletion(data: unknown): { answer?: string; error?: string } {
  if (data && typeof data === 'object') {
    const d = data as {
      choices?: { message?: { content?: unknown } }[];
      error?: { message?: string } | string;
    };
    if (d.error) return { error: typeof d.error === 'string' ? d.error : (d.error.message ?? JSON.stringify(d.error)) };
    const content = d.choices?.[0]?.message?.content;
    if (typeof content === 'string') return { answer: content };
    if (Array.isArray(content)) {
      return { answer: content.map((p) => (p && typeof p === 'object' && 'text' in p ? String(p.text) : '')).join('') };
    }
  }
  if (typeof data === 'string') return { error: data };
  return {};
}

/** A combo test as the page shows it (running, then the outcome). */
export type ComboTest = {
  combo: string;
  running: boolean;
  status?: number;
  ok?: boolean;
  latencyMs?: number;
  route?: string | null;
  answer?: string;
  error?: string;
};
