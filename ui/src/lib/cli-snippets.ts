// Configuration snippets for coding tools (the user guide's "CLI integration"), filled in with
// this gateway's address, a key and a model. Pure: the CLI tools page only renders them.

/** Shown where a key goes when the real one is not at hand (keys are shown only once). */
export const KEY_PLACEHOLDER = 'sk-omni-…';

export type SnippetContext = {
  /** The gateway's origin, e.g. `http://localhost:20128` (a trailing slash or `/v1` is ignored). */
  baseUrl: string;
  /** The API key, or empty for the placeholder. */
  key?: string;
  /** The model the tool should ask for (`provider/model`, a combo name or `auto`). */
  model?: string;
};

export type Snippet = {
  id: string;
  /** Where it goes: a file path, or empty for settings typed into the tool / a shell. */
  file: string;
  language: 'json' | 'shell' | 'text';
  text: string;
};

export type Tool = {
  id: string;
  name: string;
  snippets: Snippet[];
};

export const DEFAULT_MODEL = 'auto';

/** `http://host:20128/v1/` → `http://host:20128`. */
export function origin(baseUrl: string): string {
  return baseUrl.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** A string as a double-quoted shell word (`"`, `\`, `$` and backquote escaped). */
export function shellQuote(value: string): string {
  return `"${value.replace(/(["\\$`])/g, '\\$1')}"`;
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function filled(ctx: SnippetContext) {
  return {
    root: origin(ctx.baseUrl),
    v1: `${origin(ctx.baseUrl)}/v1`,
    key: ctx.key?.trim() || KEY_PLACEHOLDER,
    model: ctx.model?.trim() || DEFAULT_MODEL,
  };
}

export function cursor(ctx: SnippetContext): Snippet {
  const { v1, key, model } = filled(ctx);
  return {
    id: 'cursor',
    file: '',
    language: 'text',
    text: `Settings → Models → Advanced:\n  OpenAI API Base URL: ${v1}\n  OpenAI API Key: ${key}\n  Model: ${model}`,
  };
}

export function claudeCode(ctx: SnippetContext): Snippet {
  const { v1, key } = filled(ctx);
  return {
    id: 'claude-code',
    file: '~/.claude/config.json',
    language: 'json',
    text: json({ anthropic_api_base: v1, anthropic_api_key: key }),
  };
}

/** Claude Code also reads its endpoint from the environment (it appends `/v1/messages` itself). */
export function claudeCodeEnv(ctx: SnippetContext): Snippet {
  const { root, key, model } = filled(ctx);
  const lines = [`export ANTHROPIC_BASE_URL=${shellQuote(root)}`, `export ANTHROPIC_AUTH_TOKEN=${shellQuote(key)}`];
  if (model !== DEFAULT_MODEL) lines.push(`export ANTHROPIC_MODEL=${shellQuote(model)}`);
  lines.push('claude');
  return { id: 'claude-code-env', file: '', language: 'shell', text: lines.join('\n') };
}

export function codex(ctx: SnippetContext): Snippet {
  const { root, key, model } = filled(ctx);
  const run = model === DEFAULT_MODEL ? 'codex "your prompt"' : `codex -m ${shellQuote(model)} "your prompt"`;
  return {
    id: 'codex',
    file: '',
    language: 'shell',
    text: `export OPENAI_BASE_URL=${shellQuote(root)}\nexport OPENAI_API_KEY=${shellQuote(key)}\n${run}`,
  };
}

export function openClaw(ctx: SnippetContext): Snippet {
  const { v1, key, model } = filled(ctx);
  const name = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : model;
  return {
    id: 'openclaw',
    file: '~/.openclaw/openclaw.json',
    language: 'json',
    text: json({
      agents: { defaults: { model: { primary: `omniroute/${model}` } } },
      models: {
        providers: {
          omniroute: {
            baseUrl: v1,
            apiKey: key,
            api: 'openai-completions',
            models: [{ id: model, name }],
          },
        },
      },
    }),
  };
}

export function cline(ctx: SnippetContext): Snippet {
  const { v1, key, model } = filled(ctx);
  return {
    id: 'cline',
    file: '',
    language: 'text',
    text: `Provider: OpenAI Compatible\nBase URL: ${v1}\nAPI Key: ${key}\nModel: ${model}`,
  };
}

/** Every tool the page lists, in the guide's order. */
export function tools(ctx: SnippetContext): Tool[] {
  return [
    { id: 'cursor', name: 'Cursor', snippets: [cursor(ctx)] },
    { id: 'claude-code', name: 'Claude Code', snippets: [claudeCode(ctx), claudeCodeEnv(ctx)] },
    { id: 'codex', name: 'Codex CLI', snippets: [codex(ctx)] },
    { id: 'openclaw', name: 'OpenClaw', snippets: [openClaw(ctx)] },
    { id: 'cline', name: 'Cline / Continue / RooCode', snippets: [cline(ctx)] },
  ];
}
