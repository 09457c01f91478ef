import { describe, expect, it } from 'vitest';
import {
  SAMPLE_PROMPT,
  answerText,
  formats,
  lostInTranslation,
  modelSuggestions,
  pairs,
  parseBody,
  parseRoute,
  pushEvent,
  sampleRequest,
  type MonitorEvent,
} from './translator';

describe('translator helpers', () => {
  it('has an example request per format that carries the prompt, system text and tool', () => {
    for (const f of formats) {
      expect(lostInTranslation(sampleRequest(f)), f).toBeNull();
    }
    expect(sampleRequest('gemini')).not.toHaveProperty('model');
    expect(sampleRequest('openai', 'x/y')).toHaveProperty('model', 'x/y');
  });

  it('names what a translation lost', () => {
    expect(lostInTranslation({ messages: [] })).toBe('prompt');
    expect(lostInTranslation({ input: SAMPLE_PROMPT })).toBe('system');
  });

  it('runs all sixteen pairs, source-major', () => {
    const all = pairs();
    expect(all).toHaveLength(16);
    expect(all[0]).toEqual(['openai', 'openai']);
    expect(all[1]).toEqual(['openai', 'anthropic']);
    expect(all[15]).toEqual(['responses', 'responses']);
  });

  it('parses a pasted body, naming why it is not a request', () => {
    expect(parseBody('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseBody('[1]')).toEqual({ ok: false, error: 'object' });
    const broken = parseBody('{"a": ');
    expect(broken.ok).toBe(false);
  });

  it('reads the route header', () => {
    expect(parseRoute('mock/m-1; account=main; attempts=2')).toEqual({ target: 'mock/m-1', account: 'main', attempts: 2 });
    expect(parseRoute(null)).toBeNull();
  });

  it('reads an answer or its error', () => {
    expect(answerText({ choices: [{ message: { content: 'Hi' } }] })).toEqual({ text: 'Hi', error: false });
    expect(answerText({ error: { message: 'no such model' } })).toEqual({ text: 'no such model', error: true });
    expect(
      answerText({ choices: [{ message: { content: null, tool_calls: [{ function: { name: 'f', arguments: '{}' } }] } }] }).text,
    ).toBe('f({})');
  });

  it('suggests models without duplicates, ending with auto', () => {
    expect(modelSuggestions(['a/b', 'c'], ['c', 'team'])).toEqual(['a/b', 'c', 'team', 'auto']);
  });

  it('keeps the newest events first, at most the limit', () => {
    const e = (ts: number): MonitorEvent => ({ ts, clientFormat: 'openai', upstreamFormat: null, model: 'm', provider: null, status: 200, stream: false });
    let rows: MonitorEvent[] = [];
    for (let i = 0; i < 5; i++) rows = pushEvent(rows, e(i), 3);
    expect(rows.map((r) => r.ts)).toEqual([4, 3, 2]);
  });
});
