// Hostile process names and command lines on the page: a process named
// "<img src=x>" plus an escape sequence (prctl PR_SET_NAME, 15 bytes) and
// whose command line is an <img onerror> and an <svg onload> with terminal
// escapes holds a listener. The map, the table and the detail pane show those
// characters as text: no element is made from them, no script runs (no dialog),
// no raw control character reaches the page.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Child, python } from '../live/helpers.js';
import { openBrowser, openPage, screenshot, setFilter, startWeb, tableRows } from './helpers.js';

const NAME = '<img src=x>\x1b[2J';
const ARGV0 = '<img src=x onerror=alert(document.domain)>';
const ARG1 = '<svg onload=alert(1)>\x1b]0;PWN\x07';

/** Re-exec python with the crafted argv, rename, listen on a free loopback port, say which, hold. */
const SCRIPT = `
import ctypes, json, os, signal, socket, sys
if os.environ.get('HOSTILE_STAGE') != '2':
    os.environ['HOSTILE_STAGE'] = '2'
    os.execv(sys.executable, [os.environ['HOSTILE_ARGV0'], '-c', 'import os; exec(os.environ["HOSTILE_SCRIPT"])', os.environ['HOSTILE_ARG1']])
signal.alarm(120)
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(os.environ['HOSTILE_NAME'].encode()), 0, 0, 0)
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(8)
sys.stdout.write(json.dumps({'port': l.getsockname()[1]}) + '\\n'); sys.stdout.flush()
try:
    sys.stdin.read()
except Exception:
    pass
os._exit(0)
`;

function startHostile(t: TestContext): Child {
  const proc = spawn(python(), ['-c', SCRIPT], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, HOSTILE_SCRIPT: SCRIPT, HOSTILE_NAME: NAME, HOSTILE_ARGV0: ARGV0, HOSTILE_ARG1: ARG1 },
  });
  const c = new Child(proc, 'hostile');
  t.after(() => c.stop());
  return c;
}

test('a hostile process name and command line are shown as text', async (t) => {
  const server = await startWeb(t);
  const b = await openBrowser(t, server.origin);
  await openPage(b, server, 'map');
  const child = startHostile(t);
  await child.message('port');
  // Its own sockets only (a port number may also be some other program's client port).
  await setFilter(b.page, `pid:${child.pid}`);

  // On the map: the process behind the door, its name as characters.
  await b.page.waitForFunction(() => [...document.querySelectorAll('#map-svg g.node[data-kind="process"]:not(.exit)')]
    .some((g) => (g.textContent ?? '').includes('<img src=x>')), undefined, { timeout: 30_000 });
  await screenshot(b.page, 'hostile-map');

  // In the table, and in the detail pane with the command line.
  await b.page.evaluate(() => { location.hash = 'table'; });
  await b.page.waitForFunction(() => (document.querySelector('#table-scroll .trow[data-id]')?.textContent ?? '').includes('<img src=x>'), undefined, { timeout: 30_000 });
  const rows = await tableRows(b.page);
  assert.equal(rows.length, 1);
  assert.ok(rows[0]!.includes(`${child.pid}/<img src=x>`), rows[0]);
  await b.page.click('#table-scroll .trow[data-id]');
  await b.page.waitForSelector('#detail .holders .command', { timeout: 10_000 });
  const command = (await b.page.textContent('#detail .holders .command'))!;
  assert.ok(command.includes(ARGV0), command);
  assert.ok(command.includes('<svg onload=alert(1)>'), command);
  await screenshot(b.page, 'hostile-table');

  // Nothing was made of them: the page's one image is its icon, no element carries a handler, no script ran.
  const dom = await b.page.evaluate(() => ({
    imgs: [...document.querySelectorAll('img')].map((i) => i.getAttribute('src')),
    handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length,
    svgs: [...document.querySelectorAll('svg')].map((s) => s.id || s.getAttribute('class')),
    raw: /[\x00-\x08\x0b-\x1f\x7f]/.test(document.body.textContent ?? ''),
  }));
  assert.deepEqual(dom.imgs, ['/assets/icon.svg']);
  assert.equal(dom.handlers, 0);
  assert.deepEqual(dom.svgs.sort(), ['lab-diagram', 'map-svg'], 'only the page\'s own drawings');
  assert.equal(dom.raw, false, 'a raw control character reached the page');
  assert.deepEqual(b.dialogs, [], 'a dialog opened: script ran');
  assert.deepEqual(b.problems, []);
});
