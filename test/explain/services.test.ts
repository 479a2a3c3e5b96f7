// The binary tables the CLI reads (dist/data/iana-names.bin for the tables'
// service names, iana-services.bin for the explanations' names and
// descriptions) say what the registry as JSON says (dist/data/iana-services.json):
// for every port and both protocols, and back from names to ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serviceName, servicePort } from '../../src/explain/services.js';
import { ianaLookup } from '../../src/explain/iana.js';

const registry = JSON.parse(readFileSync(new URL('../../data/iana-services.json', import.meta.url), 'utf8')) as
  Record<'tcp' | 'udp', Record<string, [string, string]>>;

test('every port of both protocols is named as the registry names it', () => {
  let named = 0;
  for (const proto of ['tcp', 'udp'] as const) {
    for (let port = 0; port <= 65535; port++) {
      const want = port === 0 ? undefined : registry[proto][String(port)]?.[0];
      assert.equal(serviceName(port, proto), want, `${port}/${proto}`);
      if (want !== undefined) named++;
    }
  }
  assert.ok(named > 10_000, `the registry names ${named} ports`);
});

test('names lead back to their lowest port, in any case', () => {
  assert.equal(servicePort('HTTPS', 'tcp'), 443);
  assert.equal(servicePort('ssh', 'tcp'), 22);
  assert.equal(servicePort('domain', 'udp'), 53);
  assert.equal(servicePort('no-such-service-name', 'tcp'), undefined);
});

test('the explanations find every registered name and description', () => {
  const lookup = ianaLookup();
  assert.ok(lookup, 'the build wrote iana-services.bin');
  for (const proto of ['tcp', 'udp'] as const) {
    for (let port = 0; port <= 65535; port++) {
      const e = registry[proto][String(port)];
      const got = lookup(port, proto);
      assert.deepEqual(got, e ? { protocol: proto, name: e[0], description: e[1] } : undefined, `${port}/${proto}`);
    }
  }
  assert.equal(lookup(443, 'tcp')?.name, 'https');
});
