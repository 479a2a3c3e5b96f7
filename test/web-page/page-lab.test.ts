// The lab from the page: the seeds' key experiment (backlog) run with the Run
// button (a POST with the session's CSRF token) reaches its last step with
// every expectation met, and the page drew it as it went: the accept queue
// filled to backlog + 1 against a backlog of 2, clients stalled in SYN_SENT,
// accepted-by-nobody connections as hollow dots in ESTABLISHED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, openPage, screenshot, startWeb } from './helpers.js';

interface Seen {
  maxRecvQ: number;
  backlogs: string[];
  states: string[];
  unheldEstablished: number;
}

test('a lab experiment run from the page reaches its last step with its expectations met', async (t) => {
  const server = await startWeb(t, ['--lang', 'en']);
  const b = await openBrowser(t, server.origin);
  await openPage(b, server, 'lab');
  await b.page.waitForSelector('#lab-pick option[value="backlog"]', { state: 'attached', timeout: 5000 });

  // Watch the drawing while the run goes (the run is over before the test could poll each step).
  await b.page.evaluate(() => {
    const seen = { maxRecvQ: 0, backlogs: [] as string[], states: [] as string[], unheldEstablished: 0 };
    (window as unknown as { labSeen: typeof seen }).labSeen = seen;
    new MutationObserver(() => {
      for (const q of document.querySelectorAll<HTMLElement>('#lab-queue .queue')) {
        seen.maxRecvQ = Math.max(seen.maxRecvQ, Number(q.dataset['recvq']));
        if (!seen.backlogs.includes(q.dataset['backlog'] ?? '')) seen.backlogs.push(q.dataset['backlog'] ?? '');
      }
      for (const d of document.querySelectorAll('#lab-diagram g.dot:not(.gone)')) {
        const st = d.getAttribute('data-state') ?? '';
        if (!seen.states.includes(st)) seen.states.push(st);
      }
      seen.unheldEstablished = Math.max(seen.unheldEstablished, document.querySelectorAll('#lab-diagram g.dot.unheld[data-state="ESTABLISHED"]').length);
    }).observe(document.querySelector('#view-lab')!, { subtree: true, childList: true, attributes: true });
  });

  await b.page.selectOption('#lab-pick', 'backlog');
  await b.page.click('#lab-run');
  await b.page.waitForSelector('#lab-status[data-done]', { timeout: 90_000 });
  await screenshot(b.page, 'lab-backlog');

  assert.equal(await b.page.getAttribute('#lab-status', 'data-done'), 'ok', (await b.page.textContent('#lab-status')) ?? '');
  const steps = await b.page.$$eval('#lab-steps .step', (ls) => ls.map((l) => ({
    title: l.querySelector('h4')?.textContent ?? '',
    explanation: l.querySelector('.explanation')?.textContent ?? '',
    checks: [...l.querySelectorAll('.checks li')].map((c) => c.getAttribute('data-ok')),
  })));
  const announced = Number(/(\d+)/.exec((await b.page.textContent('#lab-header .hint')) ?? '')?.[1]);
  assert.ok(announced >= 3, `steps announced: ${announced}`);
  assert.equal(steps.length, announced, 'every step reached, the last one included');
  for (const s of steps) {
    assert.match(s.title, /^Step \d+: \S/);
    assert.ok(s.explanation.length > 40, `step "${s.title}" explained`);
    assert.ok(s.checks.length >= 1, `step "${s.title}" checked something`);
    assert.deepEqual(s.checks.filter((c) => c !== 'true'), [], `step "${s.title}": every expectation met`);
  }
  const total = steps.reduce((a, s) => a + s.checks.length, 0);
  assert.equal(await b.page.textContent('#lab-status'), `Done: every expectation held (${total} of ${total}).`);

  const seen = await b.page.evaluate(() => (window as unknown as { labSeen: Seen }).labSeen);
  assert.deepEqual(seen.backlogs.filter(Boolean), ['2'], 'the listener asked for backlog 2');
  assert.equal(seen.maxRecvQ, 3, 'the accept queue filled to backlog + 1');
  assert.ok(seen.states.includes('LISTEN') && seen.states.includes('ESTABLISHED') && seen.states.includes('SYN_SENT'), seen.states.join(' '));
  assert.ok(seen.unheldEstablished >= 3, `connections no process holds yet: ${seen.unheldEstablished}`);
  assert.deepEqual(b.problems, []);
});
