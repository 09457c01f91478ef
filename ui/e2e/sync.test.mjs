// Settings → Sync in a real browser against two real gateways: a device and a hub
// (`SYNC_HUB=true`). On the device: Start a group at the hub (the pairing code shows once), Sync
// now (last success, no error); on the hub's disk: the group's sealed objects under
// DATA_DIR/sync-hub/; on the hub's own dashboard: the note that it is a hub; then Leave.
// Screenshots go to ui/e2e/out/.

import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { apiFromPage, launch, newPage, shot, signIn, startGateway } from './harness.mjs';

let hub;
let device;
let browser;
let page;

before(async () => {
  [hub, device] = await Promise.all([startGateway({ SYNC_HUB: 'true' }), startGateway()]);
  browser = await launch();
  page = await newPage(browser);
  await signIn(page, device.url);
});

after(async () => {
  await browser?.close();
  device?.child.kill();
  hub?.child.kill();
});

/** The hub's groups: `sync-hub/<32 hex>/devices/<file>`, as `{ group: [{ name, size }] }`. */
function hubObjects() {
  const root = join(hub.dataDir, 'sync-hub');
  const groups = {};
  let names = [];
  try {
    names = readdirSync(root);
  } catch {
    return groups;
  }
  for (const group of names.filter((n) => /^[0-9a-f]{32}$/.test(n))) {
    const devices = join(root, group, 'devices');
    groups[group] = readdirSync(devices)
      .filter((name) => !name.startsWith('.') && !name.endsWith('.upload'))
      .map((name) => ({ name, size: statSync(join(devices, name)).size }));
  }
  return groups;
}

test('the Sync tab starts a group at the hub and shows the pairing code once', async () => {
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-tab-sync').click();
  await page.waitForURL(/tab=sync/);
  await page.getByTestId('sync-join').waitFor();
  assert.equal(await page.getByTestId('sync-join-credentials').isChecked(), false, 'credentials are off by default');

  await page.getByTestId('sync-start-url').fill(hub.url);
  await page.getByTestId('sync-start').click();
  const code = page.getByTestId('sync-pairing-code');
  await code.waitFor({ timeout: 30_000 });
  assert.match((await code.innerText()).trim(), /^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/);
  await page.getByTestId('sync-status').waitFor();
  assert.match(await page.getByTestId('sync-status').innerText(), new RegExp(hub.url.replace(/[.:/]/g, '\\$&')));
  await shot(page, 'sync-1-group-started');

  const { body } = await apiFromPage(page, 'GET', '/api/sync/status');
  assert.equal(body.status.enabled, true);
  assert.equal(body.status.credentials, false);
  assert.equal(body.url, hub.url);
  assert.equal(body.hub, false);
  assert.deepEqual(page.errors, []);
});

test('Sync now reaches the hub: last success, no error', async () => {
  // The run is bounded by SYNC_TIMEOUT (20 s) on the gateway; the button is busy meanwhile.
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/api/sync/now', { timeout: 60_000 }),
    page.getByTestId('sync-now').click(),
  ]);
  assert.equal(response.status(), 200);
  await page.waitForFunction(() => document.querySelector('[data-testid="sync-now"]')?.disabled === false);
  await page.locator('[data-testid="sync-status"]:not([data-last-success=""])').waitFor({ timeout: 10_000 });
  assert.equal(await page.getByTestId('sync-error').count(), 0, 'no error shows');
  assert.match(await page.getByTestId('sync-last-success').innerText(), /just now|\d+ s ago/);
  await page.getByTestId('sync-devices').waitFor();
  await shot(page, 'sync-2-synced');

  const { body } = await apiFromPage(page, 'GET', '/api/sync/status');
  assert.equal(body.status.lastError, null, JSON.stringify(body.status.lastError));
  assert.equal(typeof body.status.lastSuccessMs, 'number');
  assert.equal(body.status.consecutiveFailures, 0);
  assert.deepEqual(page.errors, []);
});

test("the hub stores the device's sealed objects under its data dir", () => {
  const groups = hubObjects();
  const ids = Object.keys(groups);
  assert.equal(ids.length, 1, `one group on the hub: ${JSON.stringify(groups)}`);
  const files = groups[ids[0]];
  assert.ok(files.length >= 1, 'the device wrote at least one object');
  assert.ok(files.every((f) => f.size > 0), JSON.stringify(files));
});

test("the hub's own Sync tab says it is a hub", async () => {
  const hubPage = await newPage(browser);
  try {
    await signIn(hubPage, hub.url);
    await hubPage.goto(`${hub.url}/#/settings?tab=sync`);
    const note = hubPage.getByTestId('sync-hub-note');
    await note.waitFor();
    // Reached on 127.0.0.1, so the host is left for the user to fill in; the port is the hub's.
    assert.match(await note.innerText(), new RegExp(`:${new URL(hub.url).port}\\b`));
    await shot(hubPage, 'sync-3-hub-note');
    assert.deepEqual(hubPage.errors, []);
  } finally {
    await hubPage.context().close();
  }
});

test('Leave asks first, then the device stops syncing and the setup shows again', async () => {
  await page.getByTestId('sync-leave').click();
  await page.getByTestId('sync-leave-confirm').waitFor();
  await shot(page, 'sync-4-leave-confirm');
  await page.getByTestId('sync-leave-confirm').click();
  await page.getByTestId('sync-join').waitFor();
  await page.getByTestId('sync-start').waitFor();
  const { body } = await apiFromPage(page, 'GET', '/api/sync/status');
  assert.equal(body.status.enabled, false);
  assert.equal(body.url, null);
  // The hub keeps what was written: leaving forgets the keys on this device only.
  assert.equal(Object.keys(hubObjects()).length, 1);
  assert.deepEqual(page.errors, []);
});
