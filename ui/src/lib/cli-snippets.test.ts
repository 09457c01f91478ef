import { describe, expect, it } from 'vitest';
import { KEY_PLACEHOLDER, claudeCode, claudeCodeEnv, cline, codex, cursor, openClaw, origin, shellQuote, tools } from './cli-snippets';

const ctx = { baseUrl: 'http://192.168.1.5:20128', key: 'sk-omni-abc', model: 'cc/claude-opus-4-6' };

describe('CLI snippets', () => {
  it('normalises the base URL', () => {
    expect(origin('http://h:1/')).toBe('http://h:1');
    expect(origin('http://h:1/v1')).toBe('http://h:1');
    expect(origin('http://h:1/v1/')).toBe('http://h:1');
    expect(cursor({ ...ctx, baseUrl: 'http://h:1/v1/' }).text).toContain('OpenAI API Base URL: http://h:1/v1\n');
  });

  it('fills in the guide’s Cursor and Cline settings', () => {
    expect(cursor(ctx).text).toBe(
      'Settings → Models → Advanced:\n  OpenAI API Base URL: http://192.168.1.5:20128/v1\n  OpenAI API Key: sk-omni-abc\n  Model: cc/claude-opus-4-6',
    );
    expect(cline(ctx).text).toBe(
      'Provider: OpenAI Compatible\nBase URL: http://192.168.1.5:20128/v1\nAPI Key: sk-omni-abc\nModel: cc/claude-opus-4-6',
    );
  });

  it('writes Claude Code’s config file as JSON and its environment for a shell', () => {
    const file = claudeCode(ctx);
    expect(file.file).toBe('~/.claude/config.json');
    expect(JSON.parse(file.text)).toEqual({ anthropic_api_base: 'http://192.168.1.5:20128/v1', anthropic_api_key: 'sk-omni-abc' });
    const env = claudeCodeEnv(ctx).text;
    expect(env).toContain('export ANTHROPIC_BASE_URL="http://192.168.1.5:20128"');
    expect(env).toContain('export ANTHROPIC_AUTH_TOKEN="sk-omni-abc"');
    expect(env).toContain('export ANTHROPIC_MODEL="cc/claude-opus-4-6"');
  });

  it('gives Codex the root URL (it adds the path itself)', () => {
    const text = codex(ctx).text;
    expect(text).toContain('export OPENAI_BASE_URL="http://192.168.1.5:20128"\n');
    expect(text).toContain('export OPENAI_API_KEY="sk-omni-abc"');
    expect(text).toContain('codex -m "cc/claude-opus-4-6" "your prompt"');
    expect(codex({ baseUrl: 'http://x' }).text).toContain('\ncodex "your prompt"');
  });

  it('builds the OpenClaw provider entry', () => {
    const config = JSON.parse(openClaw({ ...ctx, model: 'if/glm-4.7' }).text);
    expect(config.agents.defaults.model.primary).toBe('omniroute/if/glm-4.7');
    expect(config.models.providers.omniroute).toEqual({
      baseUrl: 'http://192.168.1.5:20128/v1',
      apiKey: 'sk-omni-abc',
      api: 'openai-completions',
      models: [{ id: 'if/glm-4.7', name: 'glm-4.7' }],
    });
  });

  it('uses a placeholder without a key, and auto without a model', () => {
    for (const tool of tools({ baseUrl: 'http://localhost:20128' })) {
      for (const s of tool.snippets) {
        expect(s.text).toContain(KEY_PLACEHOLDER);
        if (s.language === 'json') expect(() => JSON.parse(s.text)).not.toThrow();
      }
    }
    expect(cursor({ baseUrl: 'http://x', key: '  ' }).text).toContain('Model: auto');
  });

  it('lists every tool of the guide with unique snippet ids', () => {
    const all = tools(ctx);
    expect(all.map((t) => t.id)).toEqual(['cursor', 'claude-code', 'codex', 'openclaw', 'cline']);
    const ids = all.flatMap((t) => t.snippets.map((s) => s.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('quotes shell values safely', () => {
    expect(shellQuote('a"b$c`d\\e')).toBe('"a\\"b\\$c\\`d\\\\e"');
  });
});
