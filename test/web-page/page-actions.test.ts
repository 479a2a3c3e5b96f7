// Actions from the page, only when `sockscope web --allow-actions` allows them:
// the detail pane offers to end the holding process; the page asks first (a
// "no" sends nothing, the process lives), and a "yes" goes through the server's
// checks (CSRF, start time) and ends it. Without the flag there is no button
// (page-live checks that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPython } from '../live/helpers.js';
import { LISTENER, openBrowser, openPage, screenshot, setFilter, startWeb } from './helpers.js';

test('with --allow-actions, ending a process asks first, and "no" means no', async (t) => {
  const server = await startWeb(t, ['--allow-actions', '--interval', '0.5']);
  const b = await openBrowser(t, server.origin);
  await openPage(b, server, 'table');
  const child = startPython(t, 'listener to end', LISTENER);
  await child.message('port');
  let exited = false;
  child.proc.on('exit', () => { exited = true; });
  await setFilter(b.page, `pid:${child.pid}`);
  await b.page.click('#table-scroll .trow[data-id]', { timeout: 10_000 });
  const kill = b.page.locator('#detail .holders button.danger');
  await kill.waitFor({ timeout: 10_000 });
  assert.match((await kill.textContent())!, new RegExp(`${child.pid}`));

  // "No": nothing is sent.
  await kill.click();
  assert.equal(b.dialogs.length, 1);
  assert.match(b.dialogs[0]!, new RegExp(`^confirm: .*${child.pid}`));
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(exited, false, 'the process was ended without a yes');

  // "Yes": the server checks and sends SIGTERM.
  b.acceptDialogs = true;
  await kill.click();
  await b.page.waitForFunction(() => (document.querySelector('#action-result')?.textContent ?? '') !== '', undefined, { timeout: 10_000 });
  await screenshot(b.page, 'actions-kill');
  for (let i = 0; i < 100 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(exited, true, `the process still runs; the page said: ${await b.page.textContent('#action-result')}`);
  assert.equal(b.dialogs.length, 2);
  assert.deepEqual(b.problems, []);
});
