import { describe, expect, it } from 'vitest';
import { ApiError } from './api';
import type { Configured } from './api-types';
import {
  conflictParts,
  diffLines,
  diffStats,
  isConflict,
  launchCommands,
  pointing,
  pointingText,
  sameTarget,
  shellWord,
  targetBody,
  toolPath,
} from './cli-tools';
import { flatten, interpolate } from './i18n-core';
import en from '../locales/en.json';

const catalog = flatten(en);
const t = (key: string, params?: Record<string, string | number>) => interpolate(catalog[key] ?? key, params);

// As the gateway sends it: similar's unified diff of a settings.json, the key masked.
const DIFF = [
  '--- /home/u/.claude/settings.json',
  '+++ /home/u/.claude/settings.json',
  '@@ -1,5 +1,7 @@',
  ' {',
  '   "env": {',
  '-    "DISABLE_TELEMETRY": "1"',
  '+    "DISABLE_TELEMETRY": "1",',
  '+    "ANTHROPIC_BASE_URL": "http://127.0.0.1:20128",',
  '+    "ANTHROPIC_AUTH_TOKEN": "sk-…abcd"',
  '   },',
  '\\ No newline at end of file',
  '',
].join('\n');

const configured = (c: Partial<Configured>): Configured => ({ endpoint: null, model: null, keyHint: null, thisGateway: false, ...c });

describe('CLI tools: requests', () => {
  it('builds the paths, encoding the tool', () => {
    expect(toolPath('claude-code', 'preview')).toBe('/api/cli-tools/claude-code/preview');
    expect(toolPath('codex', 'snapshots')).toBe('/api/cli-tools/codex/snapshots');
  });

  it('leaves empty fields to the gateway and sends the plan id on Apply', () => {
    expect(targetBody({ model: '  ', baseUrl: '' })).toEqual({});
    expect(targetBody({ model: ' cc/opus ', baseUrl: 'http://10.0.0.2:20128 ' }, 'abc')).toEqual({
      model: 'cc/opus',
      baseUrl: 'http://10.0.0.2:20128',
      planId: 'abc',
    });
  });

  it('tells when a preview no longer matches the target', () => {
    expect(sameTarget({ model: 'a', baseUrl: 'http://x/' }, { model: ' a', baseUrl: 'http://x' })).toBe(true);
    expect(sameTarget({ model: 'a', baseUrl: '' }, { model: 'b', baseUrl: '' })).toBe(false);
    expect(sameTarget({ model: 'a', baseUrl: '' }, { model: 'a', baseUrl: 'http://y' })).toBe(false);
  });
});

describe('CLI tools: diffs', () => {
  it('classifies each line of a unified diff', () => {
    expect(diffLines(DIFF).map((l) => l.kind)).toEqual([
      'header',
      'header',
      'hunk',
      'context',
      'context',
      'del',
      'add',
      'add',
      'add',
      'context',
      'meta',
    ]);
    expect(diffLines(DIFF)[7].text).toBe('+    "ANTHROPIC_BASE_URL": "http://127.0.0.1:20128",');
  });

  it('keeps a new file’s header apart from its added lines, and drops carriage returns', () => {
    const lines = diffLines('--- /dev/null\r\n+++ /h/.codex/config.toml\r\n@@ -0,0 +1 @@\r\n+model = "x"\r\n');
    expect(lines).toEqual([
      { kind: 'header', text: '--- /dev/null' },
      { kind: 'header', text: '+++ /h/.codex/config.toml' },
      { kind: 'hunk', text: '@@ -0,0 +1 @@' },
      { kind: 'add', text: '+model = "x"' },
    ]);
  });

  it('has no lines for no diff, and counts additions and removals', () => {
    expect(diffLines('')).toEqual([]);
    expect(diffStats(DIFF)).toEqual({ added: 3, removed: 1 });
  });
});

describe('CLI tools: where a tool points', () => {
  it('says this OmniRoute with the model and the key hint', () => {
    const p = pointing({ error: null, configured: configured({ endpoint: 'http://127.0.0.1:20128', model: 'e2e-coding', keyHint: 'sk-…abcd', thisGateway: true }) });
    expect(p.kind).toBe('here');
    expect(pointingText(p, t)).toBe('Points at this OmniRoute — model e2e-coding, key sk-…abcd');
  });

  it('names another endpoint, a tool on its own service, and a tool not configured', () => {
    expect(pointingText(pointing({ error: null, configured: configured({ endpoint: 'https://api.anthropic.com' }) }), t)).toBe(
      'Points elsewhere (https://api.anthropic.com)',
    );
    expect(pointingText(pointing({ error: null, configured: configured({ model: 'opus' }) }), t)).toBe(
      'Uses its own service (no endpoint set) — model opus',
    );
    expect(pointingText(pointing({ error: null, configured: null }), t)).toBe('Not configured');
  });

  it('puts an unreadable file first', () => {
    const p = pointing({ error: 'settings.json is not valid JSON (line 4, column 3)', configured: null });
    expect(p).toEqual({ kind: 'unreadable', error: 'settings.json is not valid JSON (line 4, column 3)' });
    expect(pointingText(p, t)).toBe('Cannot read its settings: settings.json is not valid JSON (line 4, column 3)');
  });
});

describe('CLI tools: a refused Apply', () => {
  it('is a 409', () => {
    expect(isConflict(new ApiError(409, 'conflict', 'x'))).toBe(true);
    expect(isConflict(new ApiError(400, 'invalid_request', 'x'))).toBe(false);
    expect(isConflict(new Error('x'))).toBe(false);
  });

  it('splits the sentence from the diff of how the file changed', () => {
    const message = `/home/u/.claude/settings.json changed since the preview; nothing was written, preview again\n${DIFF}`;
    expect(conflictParts(message)).toEqual({
      summary: '/home/u/.claude/settings.json changed since the preview; nothing was written, preview again',
      diff: DIFF,
    });
    const outdated = 'the files or the settings changed since the preview; nothing was written, preview again';
    expect(conflictParts(outdated)).toEqual({ summary: outdated, diff: '' });
    expect(conflictParts('two lines\nof prose')).toEqual({ summary: 'two lines\nof prose', diff: '' });
  });
});

describe('CLI tools: omniroute run and env', () => {
  it('names the tool alone with the active combo on the default port', () => {
    expect(launchCommands('claude-code', { model: 'e2e-coding', activeCombo: 'e2e-coding', port: '20128' })).toEqual({
      run: 'omniroute run claude-code',
      env: 'eval "$(omniroute env claude-code)"',
    });
    expect(launchCommands('codex', { model: '', activeCombo: null, port: '' })?.run).toBe('omniroute run codex');
  });

  it('adds the model and the port when they are not the defaults', () => {
    expect(launchCommands('gemini-cli', { model: 'gc/gemini-2.5-pro', activeCombo: 'x', port: '8080' })?.run).toBe(
      'omniroute run --model gc/gemini-2.5-pro --port 8080 gemini-cli',
    );
    expect(launchCommands('opencode', { model: "it's mine", activeCombo: null, port: '20128' })?.env).toBe(
      `eval "$(omniroute env --model 'it'\\''s mine' opencode)"`,
    );
  });

  it('has nothing for tools it cannot launch', () => {
    for (const tool of ['openclaw', 'continue', 'cline', 'roo-code', 'cursor'] as const) {
      expect(launchCommands(tool, { model: 'm', activeCombo: null, port: '' })).toBeNull();
    }
  });

  it('quotes shell words only when needed', () => {
    expect(shellWord('cc/claude-opus-4-6')).toBe('cc/claude-opus-4-6');
    expect(shellWord('a b')).toBe(`'a b'`);
    expect(shellWord('$HOME')).toBe(`'$HOME'`);
  });
});
