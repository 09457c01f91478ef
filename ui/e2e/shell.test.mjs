// The shell in a real browser: sign-in with the initial password, no defaults banner, every
// page reachable from the navigation without a page error, Danish, dark mode and 800×600.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launch, newPage, PASSWORD, shot, signIn, startGateway } from './harness.mjs';

let gateway;
let browser;

before(async () => {
  gateway = await startGateway();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  gateway?.child.kill();
});

const PAGES = ['home', 'providers', 'combos', 'usage', 'costs', 'health', 'translator', 'cli-tools', 'settings'];

test('a wrong password is refused with a readable message, the right one signs in', async () => {
  const page = await newPage(browser);
  await page.goto(`${gateway.url}/`);
  await page.getByTestId('login-password').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /password/i);
  await shot(page, 'login');
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-home').waitFor();
  await page.waitForLoadState('networkidle');
  // A password of its own and generated secrets: no published default to warn about.
  assert.equal(await page.getByTestId('defaults-banner').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('every page opens from the navigation without errors', async () => {
  const page = await newPage(browser);
  await signIn(page, gateway.url);
  for (const name of PAGES) {
    await page.getByTestId(`nav-${name}`).click();
    await page.waitForFunction((n) => location.hash.startsWith(`#/${n}`), name);
    await page.waitForLoadState('networkidle');
    await shot(page, `page-${name}`);
  }
  assert.deepEqual(page.errors, []);
});

test('every page at 800×600', async () => {
  const page = await newPage(browser, { width: 800, height: 600 });
  await signIn(page, gateway.url);
  for (const name of PAGES) {
    await page.goto(`${gateway.url}/#/${name}`);
    await page.waitForLoadState('networkidle');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${name} is wider than the window by ${overflow}px`);
    await shot(page, `page-${name}-800x600`);
  }
  assert.deepEqual(page.errors, []);
});

test('Danish, dark mode and a small window', async () => {
  const page = await newPage(browser, { width: 800, height: 600, colorScheme: 'dark', locale: 'da-DK' });
  await signIn(page, gateway.url);
  assert.equal(await page.getByTestId('nav-home').count(), 1);
  await page.waitForLoadState('networkidle');
  await shot(page, 'home-da-dark-800x600');
  const heading = await page.locator('h1').first().innerText();
  assert.equal(heading, 'Hjem');
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.notEqual(background, 'rgb(246, 247, 249)', 'dark theme follows the system');
  assert.deepEqual(page.errors, []);
});
