// The shipped Prometheus files checked by Prometheus' own tools: the alert
// rules by `promtool check rules` and their unit tests by `promtool test
// rules`, the example configuration by `promtool check config`, the systemd
// unit by `systemd-analyze verify`. Each check also gets a deliberately
// broken copy, to show that it can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { FINDING_KINDS } from '../../src/doctor/types.js';

/** Repository root (this file runs from dist/test/prometheus/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIR = join(ROOT, 'docs/prometheus');
const RULES = join(DIR, 'sockscope-rules.yml');
const RULE_TESTS = join(DIR, 'sockscope-rules.test.yml');
const CONFIG = join(DIR, 'prometheus.yml');
const UNIT = join(DIR, 'sockscope-exporter.service');

interface Run {
  code: number | null;
  out: string;
}

function run(cmd: string, args: readonly string[], cwd = DIR): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-prom-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Alert names and their rule blocks, in file order (a name appears once per rule). */
function alertBlocks(text: string): { name: string; block: string }[] {
  const parts = text.split(/^\s*- alert: /m).slice(1);
  return parts.map((p) => ({ name: p.slice(0, p.indexOf('\n')).trim(), block: p }));
}

test('promtool check rules accepts the shipped rules; every rule has a severity, a summary and a description', () => {
  const text = readFileSync(RULES, 'utf8');
  const rules = alertBlocks(text);
  assert.ok(rules.length >= 15, `expected the full rule set, found ${rules.length} alerts`);
  const r = run('promtool', ['check', 'rules', '--lint=all', '--lint-fatal', RULES]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`SUCCESS: ${rules.length} rules found`), r.out);
  for (const { name, block } of rules) {
    assert.match(block, /^\s+severity: /m, `${name}: severity label`);
    assert.match(block, /^\s+summary: "/m, `${name}: summary annotation`);
    assert.match(block, /^\s+description: "/m, `${name}: description annotation`);
  }
});

test('promtool test rules: the rules\' unit tests pass, and every alert fires in at least one of them', () => {
  const r = run('promtool', ['test', 'rules', RULE_TESTS]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS/, r.out);
  const tests = readFileSync(RULE_TESTS, 'utf8');
  const firing = new Set([...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts:/g)].map((m) => m[1]));
  for (const { name } of alertBlocks(readFileSync(RULES, 'utf8'))) {
    assert.ok(firing.has(name), `${name} is never expected to fire in ${RULE_TESTS}`);
  }
  // And a scene where nothing fires, for every alert.
  const healthy = tests.slice(tests.indexOf('- name: healthy host'), tests.indexOf('- name: accept queue full'));
  for (const { name } of alertBlocks(readFileSync(RULES, 'utf8'))) {
    assert.match(healthy, new RegExp(`alertname: ${name} \\}`), `the healthy host test checks that ${name} stays quiet`);
  }
});

test('a broken copy of the rules is rejected by promtool (syntax), and a changed threshold by the unit tests', (t) => {
  const dir = tempDir(t);
  const text = readFileSync(RULES, 'utf8');

  const badSyntax = text.replace('expr: (sockscope_listener_accept_queue >= sockscope_listener_backlog) > 0',
    'expr: (sockscope_listener_accept_queue >= sockscope_listener_backlog > 0');
  assert.notEqual(badSyntax, text, 'the broken copy differs from the original');
  writeFileSync(join(dir, 'sockscope-rules.yml'), badSyntax);
  const check = run('promtool', ['check', 'rules', join(dir, 'sockscope-rules.yml')], dir);
  assert.notEqual(check.code, 0, `promtool accepted a rule with an unbalanced parenthesis:\n${check.out}`);
  assert.match(check.out, /parse error|unclosed|unexpected/i, check.out);

  // A well-formed rule file that alerts later than its unit tests expect.
  const laterCloseWait = text.replaceAll('sockscope_process_sockets{state="CLOSE_WAIT"} >= 10', 'sockscope_process_sockets{state="CLOSE_WAIT"} >= 30');
  assert.notEqual(laterCloseWait, text);
  writeFileSync(join(dir, 'sockscope-rules.yml'), laterCloseWait);
  copyFileSync(RULE_TESTS, join(dir, 'sockscope-rules.test.yml'));
  assert.equal(run('promtool', ['check', 'rules', join(dir, 'sockscope-rules.yml')], dir).code, 0, 'the changed copy is valid');
  const unit = run('promtool', ['test', 'rules', join(dir, 'sockscope-rules.test.yml')], dir);
  assert.notEqual(unit.code, 0, `the unit tests passed with a changed CLOSE_WAIT threshold:\n${unit.out}`);
  assert.match(unit.out, /FAILED/, unit.out);
  assert.match(unit.out, /alertname: SockscopeCloseWaitAccumulating/, unit.out);
});

test('promtool check config accepts the example prometheus.yml with the shipped rules, and refuses a broken copy', (t) => {
  const r = run('promtool', ['check', 'config', CONFIG]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SUCCESS: \S*prometheus\.yml is valid/, r.out);
  assert.match(r.out, /Checking \S*sockscope-rules\.yml\s+SUCCESS/, `the config loads the shipped rule file:\n${r.out}`);

  const dir = tempDir(t);
  copyFileSync(RULES, join(dir, 'sockscope-rules.yml'));
  const text = readFileSync(CONFIG, 'utf8');
  const broken = text.replace('scrape_timeout: 10s', 'scrape_timeout: 30s'); // longer than its 15 s interval
  assert.notEqual(broken, text);
  writeFileSync(join(dir, 'prometheus.yml'), broken);
  const b = run('promtool', ['check', 'config', join(dir, 'prometheus.yml')], dir);
  assert.notEqual(b.code, 0, `promtool accepted a scrape timeout longer than the interval:\n${b.out}`);
  assert.match(b.out, /scrape timeout greater than scrape interval/i, b.out);
});

test('systemd-analyze verify accepts the shipped unit without a warning, and names a misspelt key in a broken copy', (t) => {
  const dir = tempDir(t);
  const text = readFileSync(UNIT, 'utf8');
  // verify checks that ExecStart's program exists: point it at this checkout's
  // bin/sockscope.js instead of the installed /usr/bin/sockscope.
  assert.match(text, /^ExecStart=\/usr\/bin\/sockscope exporter /m);
  const here = text.replace(/^ExecStart=\/usr\/bin\/sockscope /m, `ExecStart=${join(ROOT, 'bin/sockscope.js')} `);
  writeFileSync(join(dir, 'sockscope-exporter.service'), here);
  const r = run('systemd-analyze', ['verify', join(dir, 'sockscope-exporter.service')], dir);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), '', `systemd-analyze warned:\n${r.out}`);
  // The capabilities the exporter needs to name other users' processes, and no more.
  assert.match(text, /^CapabilityBoundingSet=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH$/m);
  assert.match(text, /^AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH$/m);

  writeFileSync(join(dir, 'broken.service'), here.replace(/^ProtectHome=/m, 'ProtectHme='));
  const b = run('systemd-analyze', ['verify', join(dir, 'broken.service')], dir);
  assert.match(b.out, /Unknown key 'ProtectHme'/, `systemd-analyze did not object to a misspelt key:\n${b.out}`);
});

test('every Prometheus configuration block of docs/deploy.md passes promtool check config', (t) => {
  const dir = tempDir(t);
  copyFileSync(RULES, join(dir, 'sockscope-rules.yml'));
  const page = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8');
  const blocks = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
    // Alertmanager's configuration, not Prometheus'.
    .filter((b) => !/^inhibit_rules:/m.test(b));
  assert.ok(blocks.length >= 4, `scrape, federation, remote write and agent examples: found ${blocks.length}`);
  for (const [i, block] of blocks.entries()) {
    const file = join(dir, `block-${i}.yml`);
    writeFileSync(file, block.replaceAll('/etc/prometheus/sockscope-rules.yml', join(dir, 'sockscope-rules.yml')));
    const r = run('promtool', ['check', 'config', file], dir);
    assert.equal(r.code, 0, `block ${i}:\n${block}\n${r.out}`);
    assert.match(r.out, /is valid prometheus config file syntax/, r.out);
    if (block.includes("'127.0.0.1:9977'")) {
      const a = run('promtool', ['check', 'config', '--agent', file], dir);
      assert.equal(a.code, 0, `agent block ${i}:\n${block}\n${a.out}`);
    }
  }
});

test('every metric the rules use is one the exporter documents (docs/metrics.md), with the labels the rules read', () => {
  const rules = readFileSync(RULES, 'utf8');
  const metricsDoc = readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8');
  const used = new Set([...rules.matchAll(/\b(sockscope_[a-z_]+)\b/g)].map((m) => m[1]!));
  assert.ok(used.size >= 8, `metrics used: ${[...used].join(' ')}`);
  for (const name of used) {
    const row = metricsDoc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    assert.ok(row, `${name} is used by the rules but not a row of docs/metrics.md`);
  }
  // Labels named in the rules' selectors and templates, per metric family.
  const labelsOf = (name: string): string => metricsDoc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`))!.split('|')[3]!;
  for (const label of ['protocol', 'port', 'bind_scope', 'process']) assert.match(labelsOf('sockscope_listener_accept_queue'), new RegExp(`\`${label}\``));
  for (const label of ['process', 'state']) assert.match(labelsOf('sockscope_process_sockets'), new RegExp(`\`${label}\``));
  for (const label of ['local_address', 'remote_address', 'remote_port']) assert.match(labelsOf('sockscope_ephemeral_ports_used'), new RegExp(`\`${label}\``));
  for (const label of ['finding', 'severity']) assert.match(labelsOf('sockscope_doctor_findings'), new RegExp(`\`${label}\``));
  assert.match(labelsOf('sockscope_series_folded'), /`metric`/);
});

test('the rules match doctor\'s finding kinds by their exact names, and cover every kind', () => {
  const rules = readFileSync(RULES, 'utf8');
  const named = [...rules.matchAll(/finding="([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(named.length >= 8);
  for (const kind of named) assert.ok((FINDING_KINDS as readonly string[]).includes(kind), `finding="${kind}" is not a doctor kind (${FINDING_KINDS.join(', ')})`);
  // Kinds alerted on from the metrics that name the listener, process or destination instead of the findings gauge.
  const fromMetrics: Record<string, RegExp> = {
    'accept-queue-full': /sockscope_listener_accept_queue >= sockscope_listener_backlog/,
    'close-wait': /sockscope_process_sockets\{state="CLOSE_WAIT"\}/,
    'ephemeral-ports': /sockscope_ephemeral_ports_used\{remote_port!="other"\}/,
  };
  // privileged-port: deliberately not alerted on (ports below 1024 are normal), as the rules file says.
  assert.match(rules, /privileged-port is not alerted on/);
  for (const kind of FINDING_KINDS) {
    if (kind === 'privileged-port') continue;
    const covered = named.includes(kind) || (fromMetrics[kind]?.test(rules) ?? false);
    assert.ok(covered, `no rule for doctor's ${kind} findings`);
  }
});
