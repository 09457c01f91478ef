// The dashboard's main journey in a real browser against `omniroute serve` and the mock
// upstream: sign in, connect a provider, create a combo from a template, chat through it in the
// chat tester, find that request in Usage with its cost, set a budget, read the Health cards and
// export everything. Screenshots of each step go to ui/e2e/out/.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { apiFromPage, launch, newPage, shot, signIn, startGateway, startMock } from './harness.mjs';

let mock;
let gateway;
let browser;
let page;

before(async () => {
  mock = await startMock();
  gateway = await startGateway();
  browser = await launch();
  page = await newPage(browser);
  await signIn(page, gateway.url);
});

after(async () => {
  await browser?.close();
  gateway?.child.kill();
  mock?.child.kill();
});

const HELLO = 'Hello from the mock upstream.';

test('connect a provider (OpenAI, pointed at the mock) and test its account', async () => {
  await page.getByTestId('nav-providers').click();
  await page.getByTestId('providers-empty').waitFor();
  await page.getByTestId('connect-openai').click();
  const form = page.getByTestId('connect-form-openai');
  await form.getByTestId('connect-key').fill('sk-e2e-upstream-0123456789');
  await form.locator('summary').click();
  await form.getByTestId('connect-base-url').fill(`${mock.url}/v1`);
  await form.getByTestId('connect-submit').click();
  const row = page.locator('[data-testid^="account-row-"]').first();
  await row.waitFor();
  const id = (await row.getAttribute('data-testid')).replace('account-row-', '');
  await page.getByTestId(`account-test-${id}`).click();
  await page.getByTestId(`account-test-result-${id}`).filter({ hasText: '✓' }).waitFor();
  await shot(page, 'flow-1-provider-connected');
  assert.deepEqual(page.errors, []);
});

test('create a combo from a template and make it active', async () => {
  await page.getByTestId('nav-combos').click();
  await page.getByTestId('combo-template-premium-coding').click();
  await page.getByTestId('combo-name').fill('e2e-coding');
  // The template's subscription models are not connected here; the fallback reaches OpenAI.
  await page.getByTestId('combo-model-input').fill('openai/gpt-4o');
  await page.getByTestId('combo-add-model').click();
  await page.getByTestId('combo-save').click();
  await page.getByTestId('combo-row-e2e-coding').waitFor();
  await page.getByTestId('combo-activate-e2e-coding').click();
  await page.getByTestId('combo-active-e2e-coding').waitFor();
  await shot(page, 'flow-2-combo-from-template');
  const active = await apiFromPage(page, 'GET', '/api/combos/active');
  assert.equal(active.body.name, 'e2e-coding');
});

test('a combo switched outside the page (the tray, another tab) shows without a reload', async () => {
  await page.getByTestId('nav-home').click();
  const select = page.getByTestId('home-active-combo');
  await select.waitFor();
  const shows = (value) => page.waitForFunction(
    ([testid, want]) => document.querySelector(`[data-testid="${testid}"]`)?.value === want,
    ['home-active-combo', value],
    { timeout: 10_000 },
  );
  await shows('e2e-coding');
  // A plain fetch, as the tray's call to the same function would be: the page is not told.
  assert.equal((await apiFromPage(page, 'PUT', '/api/combos/active', { name: null })).status, 200);
  await shows('');
  await page.getByTestId('nav-combos').click();
  await page.getByTestId('combo-activate-e2e-coding').waitFor();
  assert.equal((await apiFromPage(page, 'PUT', '/api/combos/active', { name: 'e2e-coding' })).status, 200);
  await page.getByTestId('combo-active-e2e-coding').waitFor({ timeout: 10_000 });
  assert.deepEqual(page.errors, []);
});

test('chat through the combo in the chat tester and see the answer and its route', async () => {
  await page.getByTestId('nav-translator').click();
  await page.getByTestId('translator-tab-chat').click();
  await page.getByTestId('chat-model').fill('e2e-coding');
  await page.getByTestId('chat-message').fill('Say hello');
  await page.getByTestId('chat-send').click();
  await page.getByTestId('chat-answer').filter({ hasText: HELLO }).waitFor();
  assert.match(await page.getByTestId('chat-route').innerText(), /openai\/gpt-4o/);
  await shot(page, 'flow-3-chat-tester');
});

test('the request shows in Usage with its route and cost', async () => {
  await page.getByTestId('nav-usage').click();
  const row = page.locator('[data-testid^="usage-row-"]').filter({ hasText: 'openai/gpt-4o' }).first();
  await row.waitFor({ timeout: 15_000 });
  // 12 input and 7 output tokens at the catalog's gpt-4o price: $0.0001.
  assert.match(await row.innerText(), /0[.,]0001/);
  await shot(page, 'flow-4-usage');
});

test('set a budget on a key and see its progress', async () => {
  await page.getByTestId('nav-costs').click();
  await page.getByTestId('key-name').fill('e2e key');
  await page.getByTestId('key-create').click();
  await page.getByTestId('key-created-value').waitFor();
  const keys = await apiFromPage(page, 'GET', '/api/keys');
  const keyId = keys.body.find((k) => k.name === 'e2e key').id;
  await page.getByTestId('budget-key').selectOption(keyId);
  await page.getByTestId('budget-period').selectOption('daily');
  await page.getByTestId('budget-limit').fill('5');
  await page.getByTestId('budget-save').click();
  await page.getByTestId(`budget-row-${keyId}-daily`).waitFor();
  await page.getByTestId(`budget-progress-${keyId}-daily`).waitFor();
  await shot(page, 'flow-5-budget');
  const budgets = await apiFromPage(page, 'GET', '/api/usage/budget');
  assert.equal(budgets.body[0].limit, 5);
});

test('the six Health cards', async () => {
  await page.getByTestId('nav-health').click();
  for (const card of ['system', 'providers', 'ratelimits', 'lockouts', 'cache', 'latency']) {
    await page.getByTestId(`health-card-${card}`).waitFor();
  }
  await shot(page, 'flow-6-health');
});

test('export everything from Settings → System & storage', async () => {
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-tab-system').click();
  const download = page.waitForEvent('download');
  await page.getByTestId('backup-export-all').click();
  const file = await download;
  assert.match(file.suggestedFilename(), /^omniroute-backup-.*\.tar\.gz$/);
  const path = await file.path();
  assert.ok(path);
  // The headless gateway has no updater: the card says how to update instead of a button.
  await page.getByTestId('updates').getByText('does not update itself').waitFor();
  assert.equal(await page.getByTestId('update-check').count(), 0);
  await shot(page, 'flow-7-backups');
  assert.deepEqual(page.errors, []);
});

test('a blocked provider shows as blocked on the Providers page', async () => {
  const blocked = await apiFromPage(page, 'PATCH', '/api/settings', { security: { blockedProviders: ['openai'] } });
  assert.equal(blocked.status, 200);
  await page.getByTestId('nav-home').click();
  await page.getByTestId('nav-providers').click();
  await page.getByTestId('provider-blocked-openai').waitFor();
  const row = page.locator('[data-testid^="account-row-"]').first();
  const id = (await row.getAttribute('data-testid')).replace('account-row-', '');
  await page.getByTestId(`account-blocked-${id}`).waitFor();
  await shot(page, 'flow-9-provider-blocked');
  await apiFromPage(page, 'PATCH', '/api/settings', { security: { blockedProviders: [] } });
  assert.deepEqual(page.errors, []);
});

test('an account shows its quota windows as bars', async () => {
  const script = await fetch(`${mock.url}/__mock/script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      headers: { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '10', 'x-ratelimit-reset-requests': '5m0s' },
    }),
  });
  assert.ok(script.ok, `mock script: ${script.status}`);
  const chat = await apiFromPage(page, 'POST', '/v1/chat/completions', {
    model: 'openai/gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(chat.status, 200);
  await page.getByTestId('nav-home').click();
  await page.getByTestId('nav-providers').click();
  const bars = page.locator('[data-testid^="account-quota-"]').first();
  await bars.waitFor();
  assert.match(await bars.innerText(), /requests[\s\S]*90%/);
  await shot(page, 'flow-10-quota-bars');
  // The Health page shows the same windows per account.
  await page.getByTestId('nav-health').click();
  const card = page.getByTestId('health-card-quota');
  await card.locator('[data-testid^="health-quota-"]').first().waitFor();
  assert.match(await card.innerText(), /requests[\s\S]*90%[\s\S]*resets in/);
  await shot(page, 'flow-11-health-quota');
  assert.deepEqual(page.errors, []);
});

test('an account served past its plan offers "plan limits only", and the switch is saved', async () => {
  const reset = String(Math.floor(Date.now() / 1000) + 3600);
  const script = await fetch(`${mock.url}/__mock/script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      headers: {
        'anthropic-ratelimit-unified-5h-utilization': '1.0',
        'anthropic-ratelimit-unified-5h-reset': reset,
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-overage-status': 'allowed',
      },
    }),
  });
  assert.ok(script.ok, `mock script: ${script.status}`);
  const chat = await apiFromPage(page, 'POST', '/v1/chat/completions', {
    model: 'openai/gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(chat.status, 200, 'extra usage is paid for while the switch is off');
  await page.getByTestId('nav-home').click();
  await page.getByTestId('nav-providers').click();
  const toggle = page.locator('[data-testid^="account-plan-limits-"]').first();
  await toggle.waitFor();
  const id = (await toggle.getAttribute('data-testid')).replace('account-plan-limits-', '');
  assert.equal(await toggle.isChecked(), false);
  await toggle.check();
  await page.waitForFunction(
    async (id) => (await (await fetch('/api/providers', { credentials: 'same-origin' })).json()).some((c) => c.id === id && c.planLimitsOnly),
    id,
  );
  await shot(page, 'flow-12-plan-limits-only');
  // The used-up plan now keeps the account out: the only OpenAI account, so the request fails.
  const refused = await apiFromPage(page, 'POST', '/v1/chat/completions', {
    model: 'openai/gpt-4o',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.notEqual(refused.status, 200);
  await toggle.uncheck();
  await page.waitForFunction(
    async (id) => (await (await fetch('/api/providers', { credentials: 'same-origin' })).json()).some((c) => c.id === id && !c.planLimitsOnly),
    id,
  );
  assert.deepEqual(page.errors, []);
});

test('quota notifications are switched per kind in Settings → Routing', async () => {
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-tab-routing').click();
  const card = page.getByTestId('notifications-card');
  await card.waitFor();
  const at95 = page.getByTestId('notify-quotaAt95');
  assert.equal(await at95.isChecked(), true);
  await at95.uncheck();
  await page.waitForFunction(async () => {
    const s = await (await fetch('/api/settings', { credentials: 'same-origin' })).json();
    return s.notifications.quotaAt95 === false && s.notifications.quotaAt80 === true;
  });
  await shot(page, 'flow-13-notifications');
  await at95.check();
  await page.waitForFunction(async () => (await (await fetch('/api/settings', { credentials: 'same-origin' })).json()).notifications.quotaAt95);
  assert.deepEqual(page.errors, []);
});
