// The web server's gate over real HTTP on 127.0.0.1 (a random port): the
// token and its cookie, the Host allow-list (DNS rebinding), Origin on streams
// and POSTs, the CSRF header, the security headers on every answer, the static
// files' names (no path traversal), and the actions refused without
// --allow-actions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSP } from '../../src/web/security.js';
import { EventReader, http, serve } from './web-helpers.js';

test('without the token every path is 403; ?token= trades it for an HttpOnly cookie, then the page is served', async (t) => {
  const { web, port, get } = await serve(t);
  const host = { Host: `127.0.0.1:${port}` };
  for (const path of ['/', '/api/session', '/api/rows', '/api/stream', '/assets/app.js', `/?token=${web.token.slice(0, -1)}A`, '/?token=']) {
    const r = await http(port, path, { headers: host });
    assert.equal(r.status, 403, `${path} without the token`);
    assert.equal(r.body, 'Forbidden\n', 'no details');
  }
  const wrong = await http(port, '/api/session', { headers: { ...host, Cookie: `sockscope_token_${port}=${'x'.repeat(43)}` } });
  assert.equal(wrong.status, 403, 'a wrong cookie');
  const other = await http(port, '/api/session', { headers: { ...host, Cookie: `sockscope_token_1=${web.token}` } });
  assert.equal(other.status, 403, "another port's cookie name");
  const first = await http(port, `/?token=${web.token}`, { headers: host });
  assert.equal(first.status, 303);
  assert.equal(first.headers.location, '/');
  const cookie = String(first.headers['set-cookie']);
  assert.equal(cookie, `sockscope_token_${port}=${web.token}; HttpOnly; SameSite=Strict; Path=/`);
  assert.ok(web.url.endsWith(`/?token=${web.token}`) && web.url.startsWith(`http://127.0.0.1:${port}/`));
  const page = await get('/');
  assert.equal(page.status, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.match(page.body, /<script src="\/assets\/app.js">/);
  const bearer = await http(port, '/api/session', { headers: { ...host, Authorization: `Bearer ${web.token}` } });
  assert.equal(bearer.status, 200, 'the bearer header works too');
  // The token only ever goes in the page's address: an API path does not accept it there.
  assert.equal((await http(port, `/api/session?token=${web.token}`, { headers: host })).status, 403);
  assert.equal(web.token.length, 43, '32 random bytes, base64url');
});

test('a Host that is not this server (DNS rebinding) is refused, even with the token', async (t) => {
  const { port, auth } = await serve(t);
  for (const h of [`evil.example:${port}`, `127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}`, '127.0.0.1', `localhost.evil.example:${port}`, `127.0.0.1:${port}.evil.example`]) {
    const r = await http(port, '/api/session', { headers: { ...auth, Host: h } });
    assert.equal(r.status, 403, `Host: ${h}`);
  }
  for (const h of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
    const r = await http(port, '/api/session', { headers: { ...auth, Host: h } });
    assert.equal(r.status, 200, `Host: ${h}`);
  }
});

test('Origin: another site is refused on the stream and on POSTs; a POST needs Origin and the CSRF header', async (t) => {
  const { port, auth, post, get } = await serve(t);
  const evil = { Origin: 'http://evil.example' };
  const s = new EventReader(port, '/api/stream', { ...auth, ...evil });
  t.after(() => s.close());
  await s.ready;
  assert.equal(s.status, 403, 'a stream opened from another origin');
  assert.equal((await get('/api/rows', evil)).status, 403, 'a read from another origin');
  assert.equal((await get('/api/rows', { 'Sec-Fetch-Site': 'cross-site' })).status, 403, 'a browser that says cross-site');
  assert.equal((await get('/api/rows', { 'Sec-Fetch-Site': 'same-site' })).status, 403, "another port's page (same site to a browser)");
  assert.equal((await get('/assets/app.js', { 'Sec-Fetch-Site': 'same-site' })).status, 403);
  assert.equal((await get('/api/rows', { 'Sec-Fetch-Site': 'same-origin' })).status, 200, 'the page itself');
  assert.equal((await get('/', { 'Sec-Fetch-Site': 'same-site' })).status, 200, 'a link from another local page to this one');
  const ok = new EventReader(port, '/api/stream', { ...auth, Origin: `http://127.0.0.1:${port}` });
  t.after(() => ok.close());
  await ok.ready;
  assert.equal(ok.status, 200, 'the same origin may stream');
  assert.match(String(ok.headers['content-type']), /^text\/event-stream/);
  const h = await post();
  const body = JSON.stringify({ experiment: 'no-such-experiment' });
  const send = (headers: Record<string, string>): Promise<number> => http(port, '/api/lab', { method: 'POST', headers, body }).then((r) => r.status);
  assert.equal(await send(h), 404, 'with everything, the request reaches the endpoint (an unknown experiment)');
  const { Origin: _o, ...noOrigin } = h;
  assert.equal(await send(noOrigin), 403, 'POST without Origin');
  assert.equal(await send({ ...h, ...evil }), 403, 'POST from another origin');
  const { 'X-Sockscope-CSRF': _c, ...noCsrf } = h;
  assert.equal(await send(noCsrf), 403, 'POST without the CSRF header');
  assert.equal(await send({ ...h, 'X-Sockscope-CSRF': 'A'.repeat(43) }), 403, 'POST with a wrong CSRF token');
  assert.equal(await send({ ...h, 'Content-Type': 'text/plain' }), 415, 'a form-like body type is not taken');
});

test('every answer carries the CSP and the other security headers', async (t) => {
  const { port, get, auth } = await serve(t);
  const answers = [
    await http(port, '/', { headers: { Host: `127.0.0.1:${port}` } }),
    await http(port, '/', { headers: { Host: `evil.example:${port}` } }),
    await get('/'), await get('/assets/app.js'), await get('/assets/nope.js'), await get('/api/session'),
    await get('/api/catalog?lang=zh-CN'), await get('/api/rows?limit=1'), await get('/api/rows?sort=bogus'), await get('/nowhere'),
    await http(port, '/api/session', { method: 'DELETE', headers: auth }),
    await http(port, '/api/stream', { method: 'HEAD', headers: auth }),
  ];
  const s = new EventReader(port, '/api/stream', auth);
  t.after(() => s.close());
  await s.ready;
  const all = [...answers.map((a) => a.headers), s.headers];
  // The DELETE: any method but GET and HEAD is held to the POST rules (Origin, CSRF) first.
  assert.deepEqual(answers.map((a) => a.status), [403, 403, 200, 200, 404, 200, 200, 200, 400, 404, 403, 405]);
  assert.match(CSP, /script-src 'self';/);
  assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval|\*/);
  for (const h of all) {
    assert.equal(h['content-security-policy'], CSP);
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'no-referrer');
    assert.equal(h['x-frame-options'], 'DENY');
  }
  assert.equal(answers[5]!.headers['cache-control'], 'no-store', 'API answers are not cached');
  assert.match(String(answers[3]!.headers['content-type']), /^text\/javascript/);
});

test('/assets serves one file name from the page directory: no traversal, no hidden files, no unknown types', async (t) => {
  const { get } = await serve(t);
  for (const path of ['/assets/../package.json', '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e%2fpackage.json', '/assets/..',
    '/assets/.hidden.js', '/assets/sub/app.js', '/assets/app.js%00.png', '/assets/%2fetc%2fpasswd', '/assets/..%5c..%5cpackage.json',
    '/assets/app', '/assets/index.html/', '/assets/%E0%A4%A']) {
    const r = await get(path);
    assert.ok(r.status === 404 || r.status === 403, `${path}: ${r.status}`);
    assert.doesNotMatch(r.body, /"name"|root:/, `${path} gave a file away`);
  }
  assert.equal((await get('/assets/app.js')).body, 'console.log("page");\n');
});

test('without the built page, / says so in a plain-text 500', async (t) => {
  const { get } = await serve(t, { assetsDir: '/nonexistent-sockscope-web/' });
  const r = await get('/');
  assert.equal(r.status, 500);
  assert.match(r.body, /was not built/);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
});

test('kill and close answer 403 without --allow-actions, whatever they are asked', async (t) => {
  const { port, post } = await serve(t);
  const h = await post();
  for (const [path, body] of [['/api/kill', { pid: process.pid, startTicks: 1 }], ['/api/kill', {}], ['/api/close', { id: 1 }]] as const) {
    const r = await http(port, path, { method: 'POST', headers: h, body: JSON.stringify(body) });
    assert.equal(r.status, 403, path);
    assert.match(JSON.parse(r.body).error, /--allow-actions/);
  }
  const session = JSON.parse((await http(port, '/api/session', { headers: h })).body);
  assert.equal(session.allowActions, false);
});
