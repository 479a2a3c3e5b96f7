// The page follows the machine: a listener the test starts appears on the map
// (a door, the process behind it) and in the table within two seconds, and
// leaves both when its process ends; the filter box and a time brush on the
// timeline narrow the map and the table. Real `sockscope web`, real Chromium,
// real python listeners on 127.0.0.1 (ports the kernel picks); the page is
// narrowed to the test's own pids and ports, so other programs on the machine
// cannot change what it asserts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startPython } from '../live/helpers.js';
import { LISTENER, mapNodes, openBrowser, openPage, screenshot, setFilter, startWeb, tableRows } from './helpers.js';

/** A listener that waits for a line on stdin before it binds and listens. */
const LATE_LISTENER = `
sys.stdin.readline()
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(8)
emit(port=s.getsockname()[1])
hold()
`;

async function tableTotal(page: Page): Promise<string> {
  return (await page.textContent('#table-count')) ?? '';
}

test('a listener appears on the map and in the table within two seconds, and leaves when closed', async (t) => {
  const server = await startWeb(t, ['--interval', '0.5']);
  const b = await openBrowser(t, server.origin);
  await openPage(b, server, 'map');
  const child = startPython(t, 'late listener', LATE_LISTENER);
  // Only this process's sockets: set before it has any.
  await setFilter(b.page, `pid:${child.pid}`);
  await b.page.waitForFunction(() => document.querySelector('#map-svg .map-empty')?.textContent !== '', undefined, { timeout: 10_000 });

  child.proc.stdin!.write('go\n');
  const port = Number((await child.message('port')).port);
  const started = Date.now();
  // The door (and the process behind it) on the map, and the row in the table
  // (drawn while its view is hidden): both within two seconds of listen().
  let onMap = 0;
  let inTable = 0;
  await Promise.all([
    b.page.waitForFunction((p) => [...document.querySelectorAll('#map-svg g.node[data-kind="port"]:not(.exit)')]
      .some((g) => (g.textContent ?? '').includes(String(p))), port, { timeout: 2000 }).then(() => { onMap = Date.now() - started; }),
    b.page.waitForFunction((p) => [...document.querySelectorAll('#table-scroll .trow[data-id]:not([hidden])')]
      .some((r) => (r.textContent ?? '').includes(`127.0.0.1:${p}`)), port, { timeout: 2000 }).then(() => { inTable = Date.now() - started; }),
  ]);
  t.diagnostic(`on the map after ${onMap} ms, in the table after ${inTable} ms`);
  const nodes = await mapNodes(b.page);
  assert.ok(nodes.some((n) => n.kind === 'process' && n.text.includes('python')), `the process behind the door: ${JSON.stringify(nodes)}`);
  await screenshot(b.page, 'live-map-listener');

  await b.page.evaluate(() => { location.hash = 'table'; });
  const rows = await tableRows(b.page);
  assert.equal(rows.length, 1, `one row for one listener: ${rows.join(' | ')}`);
  assert.match(rows[0]!, new RegExp(`^tcp\\t127\\.0\\.0\\.1:${port}\\t0\\.0\\.0\\.0:\\*\\tLISTEN\\t0\\t8\\t${child.pid}/python`), rows[0]);

  // The detail pane explains the row.
  await b.page.click('#table-scroll .trow[data-id]');
  await b.page.waitForSelector('#detail .explain p', { timeout: 10_000 });
  assert.match((await b.page.textContent('#detail .explain'))!, new RegExp(`${port}`));
  assert.match((await b.page.textContent('#detail .holders'))!, new RegExp(`pid ${child.pid} python`));
  await screenshot(b.page, 'live-table-detail');

  // Closed: gone from the table and the map.
  await child.stop();
  await b.page.waitForFunction(() => document.querySelectorAll('#table-scroll .trow[data-id]:not([hidden])').length === 0, undefined, { timeout: 10_000 });
  await b.page.evaluate(() => { location.hash = 'map'; });
  await b.page.waitForFunction((p) => ![...document.querySelectorAll('#map-svg g.node:not(.exit)')]
    .some((g) => (g.textContent ?? '').includes(String(p))), port, { timeout: 10_000 });
  assert.deepEqual(b.problems, []);
});

test('the filter and a time brush narrow the map and the table', async (t) => {
  const server = await startWeb(t, ['--interval', '0.5']);
  const b = await openBrowser(t, server.origin);
  await openPage(b, server, 'table');

  const first = startPython(t, 'first listener', LISTENER);
  const portA = Number((await first.message('port')).port);
  // By pid: a port number may also be another program's remote port; a pid is ours alone.
  await setFilter(b.page, `pid:${first.pid}`);
  await b.page.waitForFunction((p) => (document.querySelector('#table-scroll')?.textContent ?? '').includes(`127.0.0.1:${p}`), portA, { timeout: 10_000 });
  // Seconds apart, so that a brush can hold one and not the other.
  await new Promise((r) => setTimeout(r, 3000));
  const bornB = Date.now();
  const second = startPython(t, 'second listener', LISTENER);
  const portB = Number((await second.message('port')).port);

  // Words of a kind widen: both listeners.
  const both = `pid:${first.pid} pid:${second.pid}`;
  await setFilter(b.page, both);
  await b.page.waitForFunction(() => document.querySelectorAll('#table-scroll .trow[data-id]:not([hidden])').length === 2, undefined, { timeout: 10_000 });
  // Kinds narrow: both pids and port A is A alone.
  await setFilter(b.page, `${both} ${portA}`);
  await b.page.waitForFunction(() => document.querySelectorAll('#table-scroll .trow[data-id]:not([hidden])').length === 1, undefined, { timeout: 10_000 });
  assert.match((await tableRows(b.page))[0]!, new RegExp(`127\\.0\\.0\\.1:${portA}\\t`));
  await screenshot(b.page, 'filter-table');
  // A bad filter is said under the box, in words.
  await setFilter(b.page, 'port:notaport');
  await b.page.waitForFunction(() => (document.querySelector('#filter-error')?.textContent ?? '') !== '', undefined, { timeout: 10_000 });
  assert.match((await b.page.textContent('#filter-error'))!, /notaport/);
  assert.match(await tableTotal(b.page), /notaport/, 'the table says why it is empty');

  await setFilter(b.page, both);
  await b.page.evaluate(() => { location.hash = 'map'; });
  await b.page.waitForFunction(([a, c]) => {
    const doors = [...document.querySelectorAll('#map-svg g.node[data-kind="port"]:not(.exit)')].map((g) => g.textContent ?? '');
    return doors.some((d) => d.includes(String(a))) && doors.some((d) => d.includes(String(c)));
  }, [portA, portB], { timeout: 10_000 });
  const doorsBefore = (await mapNodes(b.page)).filter((n) => n.kind === 'port');
  assert.equal(doorsBefore.length, 2, JSON.stringify(doorsBefore));

  // Brush on the timeline from just before B was born to now.
  await b.page.evaluate(() => { location.hash = 'timeline'; });
  await b.page.waitForFunction((tb) => Number(document.querySelector<HTMLElement>('#chart-rates')?.dataset['xmax'] ?? 0) > tb + 1500, bornB, { timeout: 10_000 });
  const box = (await b.page.locator('#chart-rates .u-over').boundingBox())!;
  const span = await b.page.$eval('#chart-rates', (e) => [Number((e as HTMLElement).dataset['xmin']), Number((e as HTMLElement).dataset['xmax'])]);
  const xOf = (ms: number): number => box.x + ((ms - span[0]!) / (span[1]! - span[0]!)) * box.width;
  const y = box.y + box.height / 2;
  await b.page.mouse.move(xOf(bornB - 400), y);
  await b.page.mouse.down();
  await b.page.mouse.move(xOf(span[1]!) - 1, y, { steps: 8 });
  await b.page.mouse.up();
  await b.page.waitForSelector('#range:not([hidden])', { timeout: 10_000 });
  assert.match((await b.page.textContent('#range-text'))!, /\d\d:\d\d:\d\d/);
  await screenshot(b.page, 'timeline-brush');

  // The table and the map now hold B alone.
  await b.page.evaluate(() => { location.hash = 'table'; });
  await b.page.waitForFunction(() => document.querySelectorAll('#table-scroll .trow[data-id]:not([hidden])').length === 1, undefined, { timeout: 10_000 });
  assert.match((await tableRows(b.page))[0]!, new RegExp(`127\\.0\\.0\\.1:${portB}\\t`));
  assert.match(await tableTotal(b.page), /of 1$/);
  await b.page.evaluate(() => { location.hash = 'map'; });
  await b.page.waitForFunction((a) => ![...document.querySelectorAll('#map-svg g.node[data-kind="port"]:not(.exit)')]
    .some((g) => (g.textContent ?? '').includes(String(a))), portA, { timeout: 10_000 });
  const doorsAfter = (await mapNodes(b.page)).filter((n) => n.kind === 'port');
  assert.equal(doorsAfter.length, 1, JSON.stringify(doorsAfter));
  assert.ok(doorsAfter[0]!.text.includes(String(portB)));

  // Clearing the range gives A back.
  await b.page.click('#range-clear');
  await b.page.evaluate(() => { location.hash = 'table'; });
  await b.page.waitForFunction(() => document.querySelectorAll('#table-scroll .trow[data-id]:not([hidden])').length === 2, undefined, { timeout: 10_000 });
  // The bad filter was refused a few times (stream, rows, the stream's probe), not in a loop.
  const refused = b.problems.filter((p) => /^400 GET .*notaport/.test(p));
  assert.ok(refused.length >= 1 && refused.length <= 4, `refusals of the bad filter: ${refused.join('\n')}`);
  assert.deepEqual(b.problems.filter((p) => !refused.includes(p)), []);
});
