// What the browser tests share: the real `omniroute serve` and `mock-upstream` binaries (built by
// cargo), Debian's Chromium driven by playwright-core (never a downloaded browser), sign-in, and
// screenshots saved to ui/e2e/out/ for the test report.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const target = join(process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, 'target'), 'debug');
export const OUT = join(here, 'out');
export const PASSWORD = 'e2e-initial-password';
mkdirSync(OUT, { recursive: true });

const children = [];
process.on('exit', () => children.forEach((c) => c.kill()));

/** Starts a binary and resolves with the URL from its "… listening on URL" line. */
function start(bin, args, env) {
  return new Promise((resolveUrl, reject) => {
    const child = spawn(join(target, bin), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = line.match(/listening on (\S+)/);
      if (m) resolveUrl({ url: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`${bin} exited with ${code}: ${stderr}`)));
    setTimeout(() => reject(new Error(`${bin} did not start in 20 s: ${stderr}`)), 20_000);
  });
}

export async function startMock() {
  return start('mock-upstream', [], { PATH: process.env.PATH ?? '' });
}

/**
 * The gateway on all interfaces (so the dashboard asks for a password), reached on 127.0.0.1.
 * `files` are written into its DATA_DIR before it starts (`{ 'providers.json': '…' }`); the
 * DATA_DIR is also its HOME, so `{ '.claude/settings.json': '…' }` is a tool's configuration
 * (directories are made as needed). The result's `dataDir` is that directory.
 */
export async function startGateway(extraEnv = {}, files = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'omniroute-e2e-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dataDir, name)), { recursive: true });
    writeFileSync(join(dataDir, name), text);
  }
  const env = { PATH: process.env.PATH ?? '', HOME: dataDir, RUST_LOG: 'warn', HOSTNAME: '0.0.0.0', INITIAL_PASSWORD: PASSWORD, ...extraEnv };
  const started = await start('omniroute', ['serve', '--port', '0', '--data-dir', dataDir], env);
  const url = started.url.replace('0.0.0.0', '127.0.0.1');
  return { ...started, url, dataDir };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/** A page at 1280×800 (or `size`) that fails the test on any uncaught page error. */
export async function newPage(browser, { width = 1280, height = 800, colorScheme = 'light', locale = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, locale, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  return page;
}

export async function signIn(page, url, password = PASSWORD) {
  await page.goto(`${url}/`);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('nav-home').waitFor({ state: 'attached' });
}

export async function shot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

/** JSON from the gateway's API with the page's session (cookies). */
export async function apiFromPage(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const r = await fetch(path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    [method, path, body],
  );
}
