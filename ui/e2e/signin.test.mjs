// Signing in to a subscription provider from the Providers page, in a real browser against
// `omniroute serve`: a `providers.json` in its DATA_DIR points provider `gh` at a fake
// authorization server started here (device code, authorization code, user info). The device
// flow shows its code and connects once the fake approves; the paste flow takes the address
// the browser ended on; the browser flow opens the provider's page, which returns to the
// gateway's own listener. Screenshots go to ui/e2e/out/.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { apiFromPage, launch, newPage, shot, signIn, startGateway } from './harness.mjs';

const NOTICE = 'Test notice text: signing in here follows the provider test terms.';

/** The fake provider: RFC 8628 device codes, PKCE authorization codes, and who signed in. */
function startAuthServer() {
  const state = { devicePolls: 0, pendingPolls: 1, nextLogin: 'hubot', revoked: false, codes: new Map(), tokenRequests: [] };
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    let body = '';
    for await (const chunk of req) body += chunk;
    const fields = req.headers['content-type']?.includes('json')
      ? JSON.parse(body || '{}')
      : Object.fromEntries(new URLSearchParams(body));
    const json = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'POST' && url.pathname === '/device/code') {
      state.devicePolls = 0;
      return json(200, {
        device_code: 'dc-1',
        user_code: 'WDJB-MJHT',
        verification_uri: 'https://example.com/device',
        interval: 1,
        expires_in: 60,
      });
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      state.tokenRequests.push(fields);
      if (fields.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
        state.devicePolls += 1;
        // GitHub answers a pending device code with 200.
        if (state.devicePolls <= state.pendingPolls) return json(200, { error: 'authorization_pending' });
        return json(200, { access_token: 'gho-octocat', token_type: 'bearer' });
      }
      if (fields.grant_type === 'authorization_code') {
        const login = state.codes.get(fields.code);
        if (!login) return json(400, { error: 'invalid_grant' });
        state.codes.delete(fields.code);
        return json(200, { access_token: `gho-${login}`, refresh_token: `rt-${login}`, expires_in: 3600, token_type: 'bearer' });
      }
      if (fields.grant_type === 'refresh_token') {
        if (state.revoked) return json(400, { error: 'invalid_grant', error_description: 'the refresh token was revoked' });
        const login = String(fields.refresh_token).replace(/^rt-/, '');
        return json(200, { access_token: `gho-${login}`, refresh_token: fields.refresh_token, expires_in: 3600, token_type: 'bearer' });
      }
      return json(400, { error: 'unsupported_grant_type' });
    }
    if (req.method === 'GET' && url.pathname === '/user') {
      const token = (req.headers.authorization ?? '').replace(/^(Bearer|token) /i, '');
      if (!token.startsWith('gho-')) return json(401, { message: 'Bad credentials' });
      return json(200, { login: token.slice('gho-'.length) });
    }
    if (req.method === 'GET' && url.pathname === '/authorize') {
      // The "browser": approves at once and goes back to the redirect URI.
      const redirect = url.searchParams.get('redirect_uri');
      const st = url.searchParams.get('state');
      if (!redirect || !st) return json(400, { error: 'redirect_uri and state required' });
      const code = `code-${state.codes.size + 1}-${Date.now()}`;
      state.codes.set(code, state.nextLogin);
      const target = new URL(redirect);
      target.searchParams.set('code', code);
      target.searchParams.set('state', st);
      res.writeHead(302, { location: target.toString() });
      return res.end();
    }
    json(404, { error: 'not_found' });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, state, server }));
  });
}

/**
 * A `providers.json` replacing `gh` with an entry whose sign-in points at the fake, and adding
 * `fx`, whose registered redirect port (like Codex's 1455) is `busyPort`.
 */
function catalog(auth, busyPort) {
  return JSON.stringify({
    providers: [
      {
        id: 'gh',
        name: 'Copilot (test)',
        tier: 'subscription',
        wire: 'openai',
        base_url: 'http://127.0.0.1:9',
        auth: 'bearer',
        login: 'device_code',
        models: [{ id: 'gpt-5', kind: 'chat' }],
        oauth: {
          authorize_url: `${auth.url}/authorize`,
          token_url: `${auth.url}/token`,
          client_id: 'Iv1.test',
          scopes: ['read:user'],
          redirect: { host: '127.0.0.1', path: '/callback' },
          device: { protocol: 'rfc8628', code_url: `${auth.url}/device/code`, token_url: `${auth.url}/token` },
          userinfo_url: `${auth.url}/user`,
          notice: NOTICE,
        },
      },
      {
        id: 'fx',
        name: 'Fixed port (test)',
        tier: 'subscription',
        wire: 'openai',
        base_url: 'http://127.0.0.1:9',
        auth: 'bearer',
        login: 'oauth_pkce',
        models: [{ id: 'gpt-5', kind: 'chat' }],
        oauth: {
          authorize_url: `${auth.url}/authorize`,
          token_url: `${auth.url}/token`,
          client_id: 'fx-test',
          redirect: { host: '127.0.0.1', port: busyPort, path: '/auth/callback' },
          device: { protocol: 'rfc8628', code_url: `${auth.url}/device/code`, token_url: `${auth.url}/token` },
          discontinued: 'Fixed port (test) was discontinued for this test.',
        },
      },
    ],
  });
}

let auth;
let busy;
let gateway;
let browser;
let page;

before(async () => {
  auth = await startAuthServer();
  busy = createServer((_, res) => res.end('taken'));
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
  gateway = await startGateway({}, { 'providers.json': catalog(auth, busy.address().port) });
  browser = await launch();
  page = await newPage(browser);
  await signIn(page, gateway.url);
  await page.getByTestId('nav-providers').click();
  await page.getByTestId('provider-card-gh').waitFor();
});

after(async () => {
  await browser?.close();
  gateway?.child.kill();
  auth?.server.close();
  busy?.close();
});

/** The account row whose signed-in account is `login`, once it shows. */
async function accountRow(login) {
  const row = page.locator('[data-testid^="account-row-"]').filter({ has: page.getByText(login, { exact: true }) });
  await row.waitFor({ timeout: 15_000 });
  return row;
}

test('the card shows the provider terms notice and the flows it offers', async () => {
  const card = page.getByTestId('provider-card-gh');
  assert.equal((await card.getByTestId('provider-notice-gh').innerText()).includes(NOTICE), true);
  assert.equal(await card.getByText('not available in this build').count(), 0);
  await card.getByTestId('signin-button-gh').click();
  // On the gateway's own machine the browser flow is the suggestion.
  assert.equal(await card.getByTestId('signin-choice-gh-browser').isChecked(), true);
  for (const f of ['device', 'paste']) await card.getByTestId(`signin-choice-gh-${f}`).waitFor();
  await card.getByRole('button', { name: 'Cancel' }).click();
  assert.deepEqual(page.errors, []);
});

test('device flow: the user code shows, then the account is signed in', async () => {
  const card = page.getByTestId('provider-card-gh');
  await card.getByTestId('signin-button-gh').click();
  await card.getByTestId('signin-choice-gh-device').check();
  await card.getByTestId('signin-start-gh').click();
  const code = card.getByTestId('signin-user-code-gh');
  await code.waitFor();
  assert.equal(await code.innerText(), 'WDJB-MJHT');
  assert.match(await card.getByTestId('signin-countdown-gh').innerText(), /Expires in (\d+m )?\d+s/);
  assert.equal(await card.getByTestId('signin-verify-gh').getAttribute('href'), 'https://example.com/device');
  await shot(page, 'signin-1-device-code');

  await card.getByTestId('signin-done-gh').filter({ hasText: 'Signed in as octocat' }).waitFor({ timeout: 15_000 });
  const row = await accountRow('octocat');
  const id = (await row.getAttribute('data-testid')).replace('account-row-', '');
  assert.equal(await page.getByTestId(`account-token-${id}`).getAttribute('data-state'), 'ok');
  await page.getByTestId(`account-refresh-${id}`).waitFor();
  await shot(page, 'signin-2-device-connected');

  const accounts = (await apiFromPage(page, 'GET', '/api/providers')).body;
  const gh = accounts.filter((c) => c.provider === 'gh');
  assert.equal(gh.length, 1);
  assert.equal(gh[0].authKind, 'oauth');
  assert.equal(gh[0].auth.account, 'octocat');
  assert.ok(auth.state.devicePolls >= 2, 'the gateway polled through authorization_pending');
  assert.deepEqual(page.errors, []);
});

test('paste flow: the address the browser ended on signs in a second account', async () => {
  auth.state.nextLogin = 'hubot';
  const card = page.getByTestId('provider-card-gh');
  await card.getByTestId('signin-button-gh').click();
  await card.getByTestId('signin-choice-gh-paste').check();
  await card.getByTestId('signin-name-gh').fill('work');
  await card.getByTestId('signin-start-gh').click();
  await card.getByTestId('signin-paste-gh').waitFor();
  const authUrl = await card.getByTestId('copy-value').first().innerText();
  assert.ok(authUrl.startsWith(`${auth.url}/authorize?`), authUrl);

  // The user approves elsewhere; the browser ends on a redirect address it cannot load.
  const landed = (await fetch(authUrl, { redirect: 'manual' })).headers.get('location');
  assert.ok(landed.includes('code='), landed);

  // Another sign-in's address is refused inline and changes nothing.
  await card.getByTestId('signin-paste-gh').fill(landed.replace('state=', 'state=x'));
  await card.getByTestId('signin-paste-submit-gh').click();
  await card.getByRole('alert').waitFor();
  assert.match(await card.getByRole('alert').innerText(), /state/i);

  await card.getByTestId('signin-paste-gh').fill(landed);
  await card.getByTestId('signin-paste-submit-gh').click();
  await card.getByTestId('signin-done-gh').filter({ hasText: 'Signed in as hubot' }).waitFor({ timeout: 15_000 });
  await accountRow('hubot');
  await accountRow('octocat');
  await shot(page, 'signin-3-paste-connected');
  assert.deepEqual(page.errors, []);
});

test('browser flow: the provider page opens, returns to the gateway, and the account signs in', async () => {
  auth.state.nextLogin = 'monalisa';
  const card = page.getByTestId('provider-card-gh');
  await card.getByTestId('signin-button-gh').click();
  await card.getByTestId('signin-choice-gh-browser').check();
  const popup = page.context().waitForEvent('page');
  await card.getByTestId('signin-start-gh').click();
  await card.getByTestId('signin-waiting-gh').waitFor();
  const opened = await popup;
  await card.getByTestId('signin-done-gh').filter({ hasText: 'Signed in as monalisa' }).waitFor({ timeout: 15_000 });
  // The provider's page went back to the gateway's own loopback listener.
  assert.match(opened.url(), /^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
  await opened.close();
  await page.bringToFront();
  await accountRow('monalisa');
  assert.equal((await apiFromPage(page, 'GET', '/api/providers')).body.filter((c) => c.provider === 'gh').length, 3);
  assert.deepEqual(page.errors, []);
});

test('a refused refresh token asks for a new sign-in, and signing in again restores the account', async () => {
  const row = await accountRow('hubot');
  const id = (await row.getAttribute('data-testid')).replace('account-row-', '');
  const token = page.getByTestId(`account-token-${id}`);
  assert.equal(await token.getAttribute('data-state'), 'ok');

  // Renewing works while the provider accepts the refresh token.
  await page.getByTestId(`account-refresh-${id}`).click();
  await row.getByText('Token renewed.').waitFor();

  auth.state.revoked = true;
  await page.getByTestId(`account-refresh-${id}`).click();
  await page.locator(`[data-testid="account-token-${id}"][data-state="needs-sign-in"]`).waitFor();
  assert.equal(await token.innerText(), 'needs sign-in');
  assert.match(await page.getByTestId(`account-token-error-${id}`).innerText(), /revoked/);
  await shot(page, 'signin-4-needs-sign-in');

  auth.state.revoked = false;
  auth.state.nextLogin = 'hubot';
  const popup = page.context().waitForEvent('page');
  await page.getByTestId(`account-signin-again-${id}`).click();
  const opened = await popup;
  await page.locator(`[data-testid="account-token-${id}"][data-state="ok"]`).waitFor({ timeout: 15_000 });
  await opened.close();
  await page.bringToFront();
  const gh = (await apiFromPage(page, 'GET', '/api/providers')).body.filter((c) => c.provider === 'gh');
  assert.equal(gh.length, 3, 'the same account signing in again keeps its one connection');
  assert.equal(gh.find((c) => c.id === id).auth.state, 'ok');
  assert.deepEqual(page.errors, []);
});

test('cancelling a running sign-in ends the flow', async () => {
  auth.state.pendingPolls = Infinity;
  const card = page.getByTestId('provider-card-gh');
  await card.getByTestId('signin-button-gh').click();
  await card.getByTestId('signin-choice-gh-device').check();
  await card.getByTestId('signin-start-gh').click();
  await card.getByTestId('signin-user-code-gh').waitFor();
  await card.getByTestId('signin-cancel-gh').click();
  await card.getByTestId('signin-button-gh').waitFor();
  assert.equal(await card.getByTestId('signin-flow-gh').count(), 0);
  assert.deepEqual(page.errors, []);
});

test('a busy redirect port is explained and the device flow offered instead; a discontinued service says so', async () => {
  auth.state.pendingPolls = Infinity;
  const card = page.getByTestId('provider-card-fx');
  await card.getByTestId('provider-discontinued-fx').waitFor();
  assert.match(await card.getByTestId('provider-discontinued-text-fx').innerText(), /discontinued for this test/);
  await card.getByTestId('signin-button-fx').click();
  assert.equal(await card.getByTestId('signin-choice-fx-browser').isChecked(), true);
  await card.getByTestId('signin-start-fx').click();
  const alert = card.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /in use/);
  await shot(page, 'signin-5-port-busy');
  await card.getByTestId('signin-use-device-fx').click();
  await card.getByTestId('signin-user-code-fx').waitFor();
  await card.getByTestId('signin-cancel-fx').click();
  await card.getByTestId('signin-button-fx').waitFor();
  assert.deepEqual(page.errors, []);
});
