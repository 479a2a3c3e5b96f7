// The page in Debian's Chromium against the real `sockscope web`: it loads
// with the printed token (and then lives on the cookie, the token gone from
// the address bar), it is refused without the token, and refused when reached
// under another host name (DNS rebinding: a site whose name resolves to
// 127.0.0.1). Loaded, it raises no CSP violation or script error and asks no
// other host for anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, screenshot, startWeb } from './helpers.js';

test('the page loads with the token, then by cookie, and is refused without it', async (t) => {
  const server = await startWeb(t);
  const b = await openBrowser(t, server.origin);

  // Without the token: 403, and no page.
  const refused = await b.page.goto(`${server.origin}/`, { waitUntil: 'load' });
  assert.equal(refused?.status(), 403);
  assert.equal(await b.page.locator('#map').count(), 0, 'no page behind a 403');
  const wrongToken = await b.page.goto(`${server.origin}/?token=${'A'.repeat(43)}`, { waitUntil: 'load' });
  assert.equal(wrongToken?.status(), 403, 'a wrong token is no token');

  // (The browser logs those 403s, and its favicon requests under them.)
  b.problems.length = 0;

  // With it: the page, and the token leaves the address bar for a cookie.
  await openPage(b, server);
  assert.equal(new URL(b.page.url()).search, '', `token left in the address: ${b.page.url()}`);
  assert.equal(await b.page.textContent('#tab-map'), 'Map');
  await b.page.waitForSelector('#map-svg g.node', { timeout: 10_000 });
  await b.page.waitForSelector('#conn[data-state="open"]', { timeout: 10_000 });
  // A reload needs no token any more.
  const again = await b.page.goto(`${server.origin}/`, { waitUntil: 'load' });
  assert.equal(again?.status(), 200);
  await b.page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await screenshot(b.page, 'security-loaded');

  assert.deepEqual(b.problems, [], 'console errors or CSP violations');
  assert.deepEqual(b.foreign, [], 'requests to other hosts');
});

test('a wrong Host header is refused (DNS rebinding)', async (t) => {
  const server = await startWeb(t);
  // The attacker's name resolves to our loopback address; the browser sends it as Host.
  const b = await openBrowser(t, `http://rebind.example:${server.port}`, ['--host-resolver-rules=MAP rebind.example 127.0.0.1']);
  const r = await b.page.goto(`http://rebind.example:${server.port}/?token=${server.token}`, { waitUntil: 'load' });
  assert.equal(r?.status(), 403, 'the real token under a foreign Host');
  assert.equal(await b.page.locator('#map').count(), 0);
  const api = await b.page.goto(`http://rebind.example:${server.port}/api/session`, { waitUntil: 'load' });
  assert.equal(api?.status(), 403);
  assert.doesNotMatch(await api!.text(), /csrf/i, 'nothing of the session leaks');

  // The same browser under the right name gets the page: the refusal was the Host.
  await openPage(b, server);
  assert.equal(await b.page.textContent('#tab-table'), 'Table');
});
