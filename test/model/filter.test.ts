// The --process filter (list, port, pid, watch) matches names as `sockscope process` does:
// case-folded and Unicode-normalised, so a name typed in decomposed form (macOS
// terminals, some input methods: "cafe" + U+0301) finds "café".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matches } from '../../src/model/filter.js';
import { foldName } from '../../src/collectors/procfs/process-info.js';
import type { Socket } from '../../src/model/socket.js';

const sock = (name: string, command: string): Socket => ({
  protocol: 'tcp', family: 'ipv4', localAddress: '127.0.0.1', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0,
  state: 'LISTEN', recvQ: 0, sendQ: 0, inode: 1, uid: 0, holders: [{ pid: 7, fd: 3, name, command }],
});

test('--process matches names and command lines as `process NAME` does (folded, NFC)', () => {
  const s = sock('café-srv', '/usr/bin/café-srv --port 80');
  for (const typed of ['café-srv', 'cafe\u0301-srv', 'CAFÉ-SRV', 'CAFE\u0301-SRV', 'café', 'cafe\u0301']) {
    assert.ok(matches({ processes: [typed] }, s), `--process ${JSON.stringify(typed)}`);
    // The same answer as the name search of `sockscope process`.
    assert.ok(foldName('café-srv') === foldName(typed) || foldName('/usr/bin/café-srv --port 80').includes(foldName(typed)), typed);
  }
  const nfd = sock('cafe\u0301-srv', 'cafe\u0301-srv');
  assert.ok(matches({ processes: ['café-srv'] }, nfd), 'a decomposed name is found by its composed form');
  assert.ok(!matches({ processes: ['cafe-srv'] }, s), 'an accent is not ignored');
});
