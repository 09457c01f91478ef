// The Translator page's pure parts: the four formats, an example request in each, the pairs the
// test bench runs, and readers for what the chat tester gets back.

export const formats = ['openai', 'anthropic', 'gemini', 'responses'] as const;
export type WireFormat = (typeof formats)[number];

/** The text every example asks, so a translation can be checked for losing it. */
export const SAMPLE_PROMPT = 'What is the weather in Copenhagen?';
export const SAMPLE_SYSTEM = 'You are a concise assistant.';
export const SAMPLE_MODEL = 'gpt-4o';

const weatherSchema = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' } },
  required: ['city'],
};

/** An example client request in `format`: a system prompt, a user message and one tool. */
export function sampleRequest(format: WireFormat, model = SAMPLE_MODEL): Record<string, unknown> {
  switch (format) {
    case 'openai':
      return {
        model,
        messages: [
          { role: 'system', content: SAMPLE_SYSTEM },
          { role: 'user', content: SAMPLE_PROMPT },
        ],
        temperature: 0.2,
        max_tokens: 512,
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: weatherSchema } }],
      };
    case 'anthropic':
      return {
        model,
        max_tokens: 512,
        system: SAMPLE_SYSTEM,
        messages: [{ role: 'user', content: SAMPLE_PROMPT }],
        temperature: 0.2,
        tools: [{ name: 'get_weather', description: 'Current weather', input_schema: weatherSchema }],
      };
    case 'gemini':
      return {
        systemInstruction: { parts: [{ text: SAMPLE_SYSTEM }] },
        contents: [{ role: 'user', parts: [{ text: SAMPLE_PROMPT }] }],
        generationConfig: { temperature: 0.2, maxOutputTokens: 512 },
        tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parameters: weatherSchema }] }],
      };
    case 'responses':
      return {
        model,
        instructions: SAMPLE_SYSTEM,
        input: SAMPLE_PROMPT,
        temperature: 0.2,
        max_output_tokens: 512,
        tools: [{ type: 'function', name: 'get_weather', description: 'Current weather', parameters: weatherSchema }],
      };
  }
}

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** Every (source, target) pair, source-major, as the bench's grid shows them. */
export function pairs(): [WireFormat, WireFormat][] {
  return formats.flatMap((from) => formats.map((to) => [from, to] as [WireFormat, WireFormat]));
}

/** Why a translation that succeeded is still wrong (the prompt, system text or tool was lost); `null` if it kept them. */
export function lostInTranslation(output: unknown): string | null {
  const text = JSON.stringify(output) ?? '';
  if (!text.includes(SAMPLE_PROMPT)) return 'prompt';
  if (!text.includes(SAMPLE_SYSTEM)) return 'system';
  if (!text.includes('get_weather')) return 'tool';
  return null;
}

/** The model of a Gemini body is not in it; the playground sends it beside the body. */
export function needsModel(format: WireFormat): boolean {
  return format === 'gemini';
}

/** Parses a pasted request; the error says where the JSON is broken. */
export function parseBody(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'object' };
    return { ok: true, value: value as Record<string, unknown> };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** `X-OmniRoute-Route: mock/m-1; account=main; attempts=2` as its parts. */
export function parseRoute(header: string | null): { target: string; account?: string; attempts?: number } | null {
  if (!header) return null;
  const [target, ...rest] = header.split(';').map((s) => s.trim());
  const out: { target: string; account?: string; attempts?: number } = { target };
  for (const part of rest) {
    const [k, v] = part.split('=');
    if (k === 'account') out.account = v;
    if (k === 'attempts' && v !== undefined && !Number.isNaN(Number(v))) out.attempts = Number(v);
  }
  return out;
}

/** The assistant's text of an OpenAI chat answer, or the error message it carries. */
export function answerText(body: unknown): { text: string; error: boolean } {
  const b = body as {
    choices?: { message?: { content?: unknown; tool_calls?: { function?: { name?: string; arguments?: string } }[] } }[];
    error?: { message?: string } | string;
  } | null;
  if (b && typeof b === 'object' && b.error) {
    return { text: typeof b.error === 'string' ? b.error : (b.error.message ?? JSON.stringify(b.error)), error: true };
  }
  const message = b?.choices?.[0]?.message;
  if (!message) return { text: typeof body === 'string' ? body : '', error: typeof body === 'string' };
  if (typeof message.content === 'string' && message.content) return { text: message.content, error: false };
  const calls = message.tool_calls ?? [];
  if (calls.length > 0) {
    return { text: calls.map((c) => `${c.function?.name}(${c.function?.arguments ?? ''})`).join('\n'), error: false };
  }
  return { text: '', error: false };
}

/** Model suggestions: the gateway's models, then combos and `auto`, without duplicates. */
export function modelSuggestions(models: string[], combos: string[]): string[] {
  return [...new Set([...models, ...combos, 'auto'])];
}

/** One row of the live monitor. */
export type MonitorEvent = {
  ts: number;
  clientFormat: string;
  upstreamFormat: string | null;
  model: string;
  provider: string | null;
  status: number;
  stream: boolean;
  latencyMs?: number;
};

/** Adds `event` at the top, keeping the newest `limit`. */
export function pushEvent(rows: MonitorEvent[], event: MonitorEvent, limit = 100): MonitorEvent[] {
  return [event, ...rows].slice(0, limit);
}
