// The lab command's usage: the list, help, and usage errors (one line, exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers.js';

test('sockscope lab lists the eight experiments, one line each', () => {
  const r = runCli(['lab']);
  assert.equal(r.code, 0, r.err);
  for (const name of ['backlog', 'four-tuple', 'ephemeral', 'close', 'buffers', 'bind', 'udp', 'shared']) {
    assert.match(r.out, new RegExp(`^  ${name} +\\S`, 'm'), name);
  }
  const zh = runCli(['--lang', 'zh-CN', 'lab']);
  assert.match(zh.out, /实验列表/);
});

test('sockscope lab --help and sockscope help lab show usage with examples', () => {
  for (const args of [['lab', '--help'], ['lab', '-h'], ['help', 'lab']]) {
    const r = runCli(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.out, /Usage: sockscope lab/);
    assert.match(r.out, /Examples:/);
  }
});

const CASES: [string[], RegExp][] = [
  [['lab', 'backlg'], /unknown experiment 'backlg' \(did you mean 'backlog'\?\)/],
  [['lab', 'fourtuple'], /did you mean 'four-tuple'/],
  [['lab', 'zzzzzzzz'], /unknown experiment 'zzzzzzzz'; experiments: backlog, /],
  [['lab', 'backlog', '--fast'], /unknown option --fast/],
  [['lab', 'backlog', '-x'], /unknown option -x/],
  [['lab', 'backlog', 'close'], /lab takes one experiment name/],
  [['lab', '--auto'], /--auto needs an experiment name/],
  [['lab', 'backlog', '--auto=yes'], /option --auto takes no value/],
];

for (const [args, message] of CASES) {
  test(`usage error: sockscope ${args.join(' ')}`, () => {
    const r = runCli(args);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, message);
    assert.equal(r.err.trim().split('\n').length, 1, 'one line');
    assert.equal(r.out, '');
  });
}
