// The CLI tools page in a real browser against `omniroute serve`, whose HOME is its data dir:
// a realistic Claude Code settings.json (hooks, status line, permissions) is previewed (the
// diff adds the env block, the key masked), applied (everything else kept, the card points at
// this OmniRoute), refused when the file changes between preview and Apply (the page says so
// and shows the fresh diff, then applies it), restored byte for byte and the restore undone.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { apiFromPage, launch, newPage, shot, signIn, startGateway } from './harness.mjs';

const ORIGINAL = `{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "opus",
  "env": {
    "BASH_DEFAULT_TIMEOUT_MS": "120000",
    "DISABLE_TELEMETRY": "1"
  },
  "permissions": {
    "allow": [
      "Bash(npm run lint)",
      "Bash(cargo test:*)",
      "Read(~/.zshrc)"
    ],
    "deny": [
      "Read(./.env)",
      "Read(./secrets/**)"
    ],
    "defaultMode": "acceptEdits"
  },
  "hooks": {
    "PostToolUse": [
      {
        "matcher": "Edit|Write",
        "hooks": [
          {
            "type": "command",
            "command": "cargo fmt -- \\"$CLAUDE_FILE_PATHS\\" 2>/dev/null || true"
          }
        ]
      }
    ],
    "Notification": [
      {
        "hooks": [
          { "type": "command", "command": "notify-send 'Claude Code' 'needs you'" }
        ]
      }
    ]
  },
  "statusLine": {
    "type": "command",
    "command": "~/.claude/statusline.sh",
    "padding": 0
  },
  "includeCoAuthoredBy": false,
  "cleanupPeriodDays": 30
}
`;

const TOOL = 'claude-code';
const MODEL = 'openai/gpt-4o';
const MODEL_2 = 'openai/gpt-4o-mini';
const ELSEWHERE = 'http://example.invalid:9999';

let gateway;
let browser;
let page;
let settingsPath;

const byId = (id) => page.getByTestId(id);
const settingsText = () => readFileSync(settingsPath, 'utf8');
const settings = () => JSON.parse(settingsText());
/** The text of the preview's diffs, once it shows `text`. */
async function diffShowing(text) {
  const diff = byId(`cli-diff-${TOOL}`).filter({ hasText: text });
  await diff.waitFor();
  return diff.innerText();
}
const statusSays = (text) => byId(`cli-status-${TOOL}`).filter({ hasText: text }).waitFor();

before(async () => {
  // Written before the gateway starts, and so before the page first asks for the tools.
  gateway = await startGateway({}, { '.claude/settings.json': ORIGINAL });
  settingsPath = join(gateway.dataDir, '.claude', 'settings.json');
  browser = await launch();
  page = await newPage(browser, { width: 1280, height: 900 });
  await signIn(page, gateway.url);
});

after(async () => {
  await browser?.close();
  gateway?.child.kill();
});

test('the page finds Claude Code, its settings file and where it points now', async () => {
  await byId('nav-cli-tools').click();
  await byId(`cli-tool-${TOOL}`).waitFor();
  // Its own model, no endpoint: not OmniRoute yet.
  await statusSays('Uses its own service');
  assert.match(await byId(`cli-status-${TOOL}`).innerText(), /model opus/);
  const files = await byId(`cli-files-${TOOL}`).innerText();
  assert.ok(files.includes(settingsPath), files);
  assert.match(files, /exists/);
  // Every tool has a card; the editor extensions say what to type in.
  for (const id of ['codex', 'gemini-cli', 'openclaw', 'opencode', 'continue', 'cline', 'roo-code', 'cursor']) {
    await byId(`cli-tool-${id}`).waitFor();
  }
  assert.equal(await byId('cli-manual-base-url-cursor').innerText(), `${gateway.url}/v1`);
  assert.match(await byId(`cli-launch-run-${TOOL}`).innerText(), /omniroute run .*claude-code/);
  await shot(page, 'clitools-1-detected');
  assert.deepEqual(page.errors, []);
});

test('pick a model and preview Claude Code: the env block is added, the key masked', async () => {
  await byId('cli-model').fill(MODEL);
  await byId(`cli-preview-${TOOL}`).click();
  const diff = await diffShowing('ANTHROPIC_BASE_URL');
  assert.ok(diff.includes(`"ANTHROPIC_BASE_URL": "${gateway.url}"`), diff);
  assert.ok(diff.includes(`"ANTHROPIC_MODEL": "${MODEL}"`), diff);
  assert.match(diff, /"ANTHROPIC_AUTH_TOKEN": "sk-…[A-Za-z0-9]{4}"/);
  assert.doesNotMatch(diff, /sk-omni-[A-Za-z0-9]{8,}/, 'no key in full');
  // Shown as added lines (green), with the file's old last variable as a removed one.
  const added = page.locator(`[data-testid="cli-diff-${TOOL}"] .line.add`);
  assert.equal(await added.filter({ hasText: 'ANTHROPIC_BASE_URL' }).count(), 1);
  const removed = page.locator(`[data-testid="cli-diff-${TOOL}"] .line.del`);
  assert.equal(await removed.filter({ hasText: 'DISABLE_TELEMETRY' }).count(), 1);
  // Nothing is written by a preview.
  assert.equal(settingsText(), ORIGINAL);
  await shot(page, 'clitools-2-preview');
  assert.deepEqual(page.errors, []);
});

let firstDiff = '';

test('apply writes the env block, keeps hooks, status line and permissions, and the card follows', async () => {
  firstDiff = await byId(`cli-diff-${TOOL}`).innerText();
  await byId(`cli-apply-${TOOL}`).click();
  const done = byId(`cli-applied-${TOOL}`);
  await done.waitFor();
  const message = await done.innerText();
  assert.ok(message.includes(settingsPath), message);
  assert.match(message, /snapshot/);

  const original = JSON.parse(ORIGINAL);
  const now = settings();
  assert.equal(now.env.ANTHROPIC_BASE_URL, gateway.url);
  assert.equal(now.env.ANTHROPIC_MODEL, MODEL);
  assert.equal(now.env.DISABLE_TELEMETRY, '1');
  assert.deepEqual(now.hooks, original.hooks);
  assert.deepEqual(now.statusLine, original.statusLine);
  assert.deepEqual(now.permissions, original.permissions);
  // The rest of the file is kept as text too, not re-serialised.
  const hooksText = ORIGINAL.slice(ORIGINAL.indexOf('  "hooks"'), ORIGINAL.indexOf('  "includeCoAuthoredBy"'));
  assert.ok(settingsText().includes(hooksText));

  const key = now.env.ANTHROPIC_AUTH_TOKEN;
  assert.match(key, /^sk-/);
  assert.ok(!firstDiff.includes(key), 'the preview never showed the key');
  await statusSays('Points at this OmniRoute');
  const status = await byId(`cli-status-${TOOL}`).innerText();
  assert.ok(status.includes(`model ${MODEL}`), status);
  assert.ok(status.includes(`…${key.slice(-4)}`), status);
  assert.ok(!(await page.content()).includes(key), 'the page never holds the key');

  const keys = await apiFromPage(page, 'GET', '/api/keys');
  assert.ok(keys.body.some((k) => k.name === 'Claude Code (CLI tools)'), JSON.stringify(keys.body));
  await shot(page, 'clitools-3-applied');
  assert.deepEqual(page.errors, []);
});

let appliedAgain = '';

test('a file changed between preview and Apply is not overwritten: the page says so and shows the fresh diff', async () => {
  await byId('cli-model').fill(MODEL_2);
  await byId(`cli-preview-${TOOL}`).click();
  await diffShowing(MODEL_2);

  // Another program points Claude Code elsewhere after the preview.
  const changed = settingsText().replace(`"ANTHROPIC_BASE_URL": "${gateway.url}"`, `"ANTHROPIC_BASE_URL": "${ELSEWHERE}"`);
  assert.notEqual(changed, settingsText());
  writeFileSync(settingsPath, changed);

  await byId(`cli-apply-${TOOL}`).click();
  const conflict = byId(`cli-conflict-${TOOL}`);
  await conflict.waitFor();
  assert.match(await conflict.innerText(), /changed since the preview/);
  assert.equal(settingsText(), changed, 'nothing was written');
  // The page previewed again by itself: the fresh diff takes the other address out.
  await page.locator(`[data-testid="cli-diff-${TOOL}"] .line.del`).filter({ hasText: ELSEWHERE }).waitFor();
  const fresh = await diffShowing(ELSEWHERE);
  assert.ok(fresh.includes(`"ANTHROPIC_BASE_URL": "${gateway.url}"`), fresh);
  // The card read the files again too.
  await statusSays(`Points elsewhere (${ELSEWHERE})`);
  await shot(page, 'clitools-4-conflict');

  // Apply is offered again, on the fresh preview.
  await byId(`cli-apply-${TOOL}`).click();
  await byId(`cli-applied-${TOOL}`).waitFor();
  assert.equal(await conflict.count(), 0);
  assert.equal(settings().env.ANTHROPIC_BASE_URL, gateway.url);
  assert.equal(settings().env.ANTHROPIC_MODEL, MODEL_2);
  await statusSays(`model ${MODEL_2}`);
  appliedAgain = settingsText();
  assert.deepEqual(page.errors, []);
});

test('restore the first snapshot: the original bytes are back; Undo puts the applied file back', async () => {
  const listed = await apiFromPage(page, 'GET', `/api/cli-tools/${TOOL}/snapshots`);
  assert.equal(listed.status, 200);
  // Newest first: the second Apply's (the changed file), then the first's (the original).
  assert.equal(listed.body.length, 2, JSON.stringify(listed.body));
  const first = listed.body[1];
  assert.equal(first.reason, 'apply');
  assert.deepEqual(first.files, [{ path: settingsPath, existed: true }]);

  await byId(`cli-snapshots-open-${TOOL}`).click();
  await byId(`cli-snapshots-${TOOL}`).waitFor();
  await byId(`cli-snapshot-${TOOL}-${listed.body[0].id}`).waitFor();
  await byId(`cli-restore-${TOOL}-${first.id}`).click();
  // A confirmation step first: nothing is restored by the first click.
  assert.equal(settingsText(), appliedAgain);
  await shot(page, 'clitools-5-restore-confirm');
  await byId(`cli-restore-confirm-${TOOL}-${first.id}`).click();
  await byId(`cli-restored-${TOOL}`).waitFor();
  assert.ok(readFileSync(settingsPath).equals(Buffer.from(ORIGINAL)), 'byte for byte the original');
  await statusSays('Uses its own service');
  // The restore took a snapshot of its own, listed first.
  await page.locator(`[data-testid^="cli-snapshot-${TOOL}-"]`).nth(2).waitFor();
  await shot(page, 'clitools-6-restored');

  await byId(`cli-undo-${TOOL}`).click();
  await byId(`cli-undone-${TOOL}`).waitFor();
  assert.equal(settingsText(), appliedAgain);
  await statusSays('Points at this OmniRoute');
  await shot(page, 'clitools-7-undone');
  assert.deepEqual(page.errors, []);
});
