// The CLI tools page's pure logic: request bodies and paths for `/api/cli-tools`, the lines of a
// unified diff as the page colours them, where a tool points now, a 409's message split into
// its sentence and its diff, and the `omniroute run` / `omniroute env` command lines.

import { ApiError } from './api';
import type { ToolId, ToolStatus } from './api-types';

/** `/api/cli-tools/{tool}/{action}`. */
export function toolPath(tool: ToolId, action: 'preview' | 'apply' | 'restore' | 'snapshots'): string {
  return `/api/cli-tools/${encodeURIComponent(tool)}/${action}`;
}

/** What a preview or an apply points the tool at: empty fields are left to the gateway. */
export type Target = { model: string; baseUrl: string };

/** The request body: `model` and `baseUrl` only when given (the API defaults them). */
export function targetBody(target: Target, planId?: string): { model?: string; baseUrl?: string; planId?: string } {
  const body: { model?: string; baseUrl?: string; planId?: string } = {};
  const model = target.model.trim();
  const baseUrl = target.baseUrl.trim();
  if (model) body.model = model;
  if (baseUrl) body.baseUrl = baseUrl;
  if (planId) body.planId = planId;
  return body;
}

/** Whether two targets write the same thing (a preview made for one is stale for the other). */
export function sameTarget(a: Target, b: Target): boolean {
  return a.model.trim() === b.model.trim() && a.baseUrl.trim().replace(/\/+$/, '') === b.baseUrl.trim().replace(/\/+$/, '');
}

export type DiffKind = 'header' | 'hunk' | 'add' | 'del' | 'context' | 'meta';
export type DiffLine = { kind: DiffKind; text: string };

/** A unified diff's lines, each with what it is (`+` added, `-` removed, context, headers). */
export function diffLines(diff: string): DiffLine[] {
  if (!diff) return [];
  const lines = diff.replace(/\r?\n$/, '').split('\n');
  return lines.map((raw) => {
    const text = raw.replace(/\r$/, '');
    let kind: DiffKind;
    if (text.startsWith('+++ ') || text.startsWith('--- ')) kind = 'header';
    else if (text.startsWith('@@')) kind = 'hunk';
    else if (text.startsWith('+')) kind = 'add';
    else if (text.startsWith('-')) kind = 'del';
    else if (text.startsWith('\\')) kind = 'meta';
    else kind = 'context';
    return { kind, text };
  });
}

/** How many lines a diff adds and removes. */
export function diffStats(diff: string): { added: number; removed: number } {
  const lines = diffLines(diff);
  return {
    added: lines.filter((l) => l.kind === 'add').length,
    removed: lines.filter((l) => l.kind === 'del').length,
  };
}

export type Pointing =
  | { kind: 'unreadable'; error: string }
  | { kind: 'none' }
  | { kind: 'here'; model: string | null; keyHint: string | null }
  | { kind: 'elsewhere'; endpoint: string; model: string | null; keyHint: string | null }
  /** Its files name a model or key but no endpoint: the tool uses its own service. */
  | { kind: 'default'; model: string | null; keyHint: string | null };

/** Where a tool's files point it now. */
export function pointing(status: Pick<ToolStatus, 'configured' | 'error'>): Pointing {
  if (status.error) return { kind: 'unreadable', error: status.error };
  const c = status.configured;
  if (!c) return { kind: 'none' };
  const rest = { model: c.model, keyHint: c.keyHint };
  if (c.thisGateway) return { kind: 'here', ...rest };
  if (c.endpoint) return { kind: 'elsewhere', endpoint: c.endpoint, ...rest };
  return { kind: 'default', ...rest };
}

type Translate = (key: string, params?: Record<string, string | number>) => string;

/** One sentence for `pointing`: "Points at this OmniRoute — model X, key sk-…abcd". */
export function pointingText(p: Pointing, t: Translate): string {
  const details = (model: string | null, keyHint: string | null) => {
    const parts = [model ? t('cli.status.model', { model }) : '', keyHint ? t('cli.status.key', { key: keyHint }) : ''].filter(Boolean);
    return parts.length ? ` — ${parts.join(', ')}` : '';
  };
  switch (p.kind) {
    case 'unreadable':
      return t('cli.status.unreadable', { error: p.error });
    case 'none':
      return t('cli.status.none');
    case 'here':
      return t('cli.status.here') + details(p.model, p.keyHint);
    case 'elsewhere':
      return t('cli.status.elsewhere', { endpoint: p.endpoint }) + details(p.model, p.keyHint);
    case 'default':
      return t('cli.status.default') + details(p.model, p.keyHint);
  }
}

/** An Apply refused because the files moved since the preview (HTTP 409). */
export function isConflict(e: unknown): e is ApiError {
  return e instanceof ApiError && e.status === 409;
}

/** A conflict's message: its first line, and the masked diff of how the file changed, if any. */
export function conflictParts(message: string): { summary: string; diff: string } {
  const at = message.indexOf('\n');
  if (at < 0) return { summary: message.trim(), diff: '' };
  const rest = message.slice(at + 1);
  const looksLikeDiff = /^(--- |\+\+\+ |@@)/m.test(rest);
  return looksLikeDiff ? { summary: message.slice(0, at).trim(), diff: rest } : { summary: message.trim(), diff: '' };
}

/** The tools `omniroute run` can start pointed at the gateway with nothing written. */
export const LAUNCHABLE: readonly ToolId[] = ['claude-code', 'codex', 'gemini-cli', 'opencode'];

export const DEFAULT_PORT = '20128';

/** A word for a POSIX shell: as it is when it is safe, else in single quotes. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `omniroute run …` and the `omniroute env …` line for a shell, for a tool it can launch.
 * `--model` only when the model is not the active combo (the default), `--port` only when the
 * gateway is not on the default port.
 */
export function launchCommands(
  tool: ToolId,
  opts: { model: string; activeCombo: string | null; port: string },
): { run: string; env: string } | null {
  if (!LAUNCHABLE.includes(tool)) return null;
  const flags: string[] = [];
  const model = opts.model.trim();
  if (model && model !== opts.activeCombo) flags.push('--model', shellWord(model));
  if (opts.port && opts.port !== DEFAULT_PORT) flags.push('--port', opts.port);
  const args = [...flags, tool].join(' ');
  return { run: `omniroute run ${args}`, env: `eval "$(omniroute env ${args})"` };
}
