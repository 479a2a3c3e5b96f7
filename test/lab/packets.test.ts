// lab --packets: the backlog experiment with its packets beside its steps, as
// seed 004's teacher had tcpdump open beside netstat: three handshakes the
// kernel completes with no accept(), the other clients' SYNs retransmitted
// while the queue is full, and the expectations that check those packets
// held. Without the privilege to capture, one note says why and the run goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memorySink } from '../../src/views/sink.js';
import { runLab } from '../../src/lab/runner.js';
import { experiment } from '../../src/lab/experiments/index.js';
import type { LabEvent } from '../../src/lab/events.js';
import { AS_NOBODY, runCli as runLive } from '../live/helpers.js';
import { exitWithin, killAll, labId, leftovers, portsIn, startCli } from './helpers.js';
import { runCli } from '../helpers.js';

test('lab backlog --packets: the ladder beside the steps, and the packet expectations hold', { timeout: 120_000 }, async () => {
  assert.equal(process.getuid?.(), 0, 'capturing needs root (the CI runs as root)');
  const id = labId();
  const run = startCli(['lab', 'backlog', '--auto', '--packets'], id);
  run.proc.stdin!.end();
  const code = await exitWithin(run, 90_000);
  const out = run.out();
  const left = await leftovers(id, portsIn(out));
  killAll(left.pids);
  assert.equal(code, 0, `exit ${code}\n${out}\n${run.err()}`);
  assert.equal(run.err(), '');
  assert.match(out, /Every expectation held \(10 of 10\)\./);
  assert.match(out, /✓ SYN-ACKs from the listener with no accept\(\): 3 /);
  assert.match(out, /✓ retransmitted SYNs to the full queue, answered by nothing: \d+ \(expected ≥1\)/);
  // Step 2's ladder: handshakes with the server-side socket "not accepted yet", then SYNs marked as retransmissions.
  const step2 = out.slice(out.indexOf('── Step 2/3'), out.indexOf('── Step 3/3'));
  assert.match(step2, /Packets of this step \(\d+, tcpdump on lo\)/);
  assert.match(step2, /│◀─+│ +SYN-ACK seq 0 ack 1 /);
  assert.match(step2, /appears: ESTABLISHED not accepted yet/);
  assert.match(step2, /│─+▶│ +SYN seq 0 win \d+ len 0 \[retransmission\]/);
  assert.match(step2, /^  \[retransmission\] the sender sent this sequence range/m);
  // Step 3: accept() gives each queued connection an fd.
  const step3 = out.slice(out.indexOf('── Step 3/3'));
  assert.match(step3, /not accepted yet → held by pid \d+ fd \d+/);
  assert.deepEqual(left.pids, []);
});

test('runLab emits a packets event per step, in the LabPacket shape', { timeout: 120_000 }, async () => {
  const events: LabEvent[] = [];
  const { sink, text } = memorySink();
  const r = await runLab(experiment('close')!, { lang: 'en', sink, auto: true, packets: true, onEvent: (e) => events.push(e) });
  assert.ok(r.ok, text());
  const packets = events.filter((e): e is Extract<LabEvent, { type: 'packets' }> => e.type === 'packets');
  assert.deepEqual(packets.map((e) => e.index), [0, 1, 2]);
  const first = packets[0]!.packets;
  assert.deepEqual(first.slice(0, 3).map((p) => p.flags.join(',')), ['SYN', 'SYN,ACK', 'ACK']);
  assert.equal(first[0]!.seq, 0);
  assert.equal(first[1]!.ack, 1);
  assert.ok(packets[1]!.packets.some((p) => p.flags.includes('FIN')), 'step 2: the client\'s FIN');
  assert.ok(packets[2]!.packets.some((p) => p.flags.includes('FIN')), 'step 3: the server\'s FIN');
  // Each packets event comes after its step's observation and before its explanation.
  const order = events.map((e) => e.type).join(' ');
  assert.match(order, /observation (expectation )+packets explain|observation packets (expectation )+explain/);
  assert.match(text(), /FIN from :\d+ acknowledged by :\d+: yes/);
});

test('lab close --no-packets captures nothing; without privilege one note says why and the run goes on', { timeout: 120_000 }, async () => {
  const plain = startCli(['lab', 'close', '--auto', '--no-packets'], labId());
  plain.proc.stdin!.end();
  assert.equal(await exitWithin(plain, 60_000), 0, plain.out());
  assert.doesNotMatch(plain.out(), /Packets of this step|Packets are not shown/);
  assert.match(plain.out(), /Every expectation held \(6 of 6\)\./);

  // As nobody (setpriv), through the CLI: the note, then the experiment as usual.
  const id = labId();
  const r = await runLive(['lab', 'close', '--auto'], { prefix: AS_NOBODY, timeoutMs: 60_000, env: { SOCKSCOPE_LAB_ID: id } });
  const left = await leftovers(id, portsIn(r.stdout));
  killAll(left.pids);
  const flat = r.stdout.replace(/\s+/g, ' ');
  assert.match(flat, /Packets are not shown in this run: cannot capture packets: capturing needs root or the CAP_NET_RAW capability, which this process does not have \(tcpdump said: .*(permission|not permitted)/i);
  assert.equal(r.stdout.match(/Packets are not shown/g)?.length, 1, 'one note');
  assert.match(r.stdout, /── Step 3\/3/);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Every expectation held \(6 of 6\)\./);
});

test('lab: --packets and --no-packets together is a usage error', () => {
  const r = runCli(['lab', 'close', '--packets', '--no-packets']);
  assert.equal(r.code, 2);
  assert.match(r.err, /choose --packets or --no-packets, not both/);
  assert.equal(r.err.trim().split('\n').length, 1);
});
