// Real processes named with non-ASCII (prctl PR_SET_NAME, issue 9 §2): the name
// and command line come back exactly as written, `process <name>` finds them by
// any case, and a name that is not valid UTF-8 keeps its bytes (\udcNN in JSON).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from '../../src/index.js';
import { describeAll, eventually, runCli, socketsOnPort, startPython } from './helpers.js';

// comm holds 15 bytes: the name arrives as hex so that any bytes can be set.
const SERVER = `
import ctypes, binascii
name = binascii.unhexlify(sys.argv[1])
ctypes.CDLL(None).prctl(15, ctypes.c_char_p(name), 0, 0, 0)  # PR_SET_NAME
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM); l.bind(('127.0.0.1', 0)); l.listen(4)
emit(port=l.getsockname()[1])
hold()
`;

const tag = (process.pid % 0x10000).toString(16).padStart(4, '0');

async function start(t: import('node:test').TestContext, bytes: Buffer, arg: string): Promise<{ pid: number; port: number }> {
  const c = startPython(t, `named ${bytes.toString('hex')}`, SERVER, [bytes.toString('hex'), arg]);
  const { port } = (await c.message('port')) as { port: number };
  await eventually('listener visible', async () => {
    const { sockets } = await socketsOnPort(port, { protocols: ['tcp'], families: ['ipv4'] });
    assert.equal(sockets.length, 1, describeAll(sockets));
  });
  return { pid: c.pid, port };
}

test('live: café, 服务器 and invalid UTF-8 names, exactly, and found by name', async (t) => {
  const cafe = `café-${tag}`;
  const zh = `服务器-${tag}`;
  const a = await start(t, Buffer.from(cafe), `--名前=${tag}`);
  const b = await start(t, Buffer.from(zh), 'x');
  const c = await start(t, Buffer.concat([Buffer.from('bad'), Buffer.from([0xff]), Buffer.from(tag)]), 'x');

  const byPid = async (pid: number): Promise<Socket[]> => {
    const r = await runCli(['pid', String(pid), '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Socket[];
  };
  const ha = (await byPid(a.pid))[0]!.holders.find((h) => h.pid === a.pid)!;
  assert.equal(ha.name, cafe);
  assert.ok(ha.command!.includes(`--名前=${tag}`), ha.command);
  assert.equal((await byPid(b.pid))[0]!.holders[0]!.name, zh);
  assert.equal((await byPid(c.pid))[0]!.holders[0]!.name, `bad\udcff${tag}`, 'the invalid byte is kept, not replaced');

  for (const [query, pid, port] of [[cafe, a.pid, a.port], [cafe.toUpperCase(), a.pid, a.port], [zh, b.pid, b.port]] as const) {
    const r = await runCli(['process', query, '--json']);
    assert.equal(r.code, 0, `process ${query}: ${r.stderr}`);
    const rows = JSON.parse(r.stdout) as Socket[];
    assert.deepEqual(rows.map((s) => [s.localPort, s.holders.map((h) => h.pid)]), [[port, [pid]]], `process ${query}`);
  }
  const table = await runCli(['process', zh]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`^PID ${b.pid} {2}${zh}`, 'm'), table.stdout);
});
