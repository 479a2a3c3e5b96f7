import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindScope, canonicalAddress, formatIPv6, isLoopback, parseAddress } from '../../src/model/address.js';

const v6 = (text: string): string => formatIPv6(parseAddress(text)!, 0);

test('IPv6 text follows RFC 5952', () => {
  assert.equal(v6('0:0:0:0:0:0:0:0'), '::');
  assert.equal(v6('0:0:0:0:0:0:0:1'), '::1');
  assert.equal(v6('2001:DB8:0:0:0:0:2:1'), '2001:db8::2:1');
  // A single zero group is not compressed.
  assert.equal(v6('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  // The longest run wins; the first on a tie.
  assert.equal(v6('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  assert.equal(v6('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(v6('fe80::0001'), 'fe80::1');
  assert.equal(v6('::ffff:127.0.0.1'), '::ffff:127.0.0.1');
  assert.equal(v6('1:2:3:4:5:6:7:0'), '1:2:3:4:5:6:7:0');
});

test('addresses that are not addresses are refused', () => {
  for (const bad of ['', '1.2.3', '1.2.3.256', ':::', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9', 'abc']) {
    assert.equal(parseAddress(bad), undefined, bad);
  }
  assert.equal(canonicalAddress('::0001'), '::1');
});

test('bind scope and loopback', () => {
  assert.equal(bindScope(['0.0.0.0']), 'all-interfaces');
  assert.equal(bindScope(['127.0.0.1', '::1']), 'this-host-only');
  assert.equal(bindScope(['192.168.1.5']), 'one-address');
  assert.ok(isLoopback('127.3.4.5'));
  assert.ok(isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('10.0.0.1'));
});
