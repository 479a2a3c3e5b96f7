// Peer: systeminformation's networkConnections(), the usual library answer in
// Node. Loaded dynamically: it is an optional devDependency of the bench.
// Prints the number of connections; exits 42 when the package is not installed.
const name = 'systeminformation';
let si: { networkConnections(): Promise<unknown[]> };
try {
  const mod = (await import(name)) as { default?: typeof si } & typeof si;
  si = mod.default ?? mod;
} catch {
  process.stderr.write('systeminformation is not installed\n');
  process.exit(42);
}
if (process.argv[2] === '--probe') {
  process.stdout.write('ok\n');
} else {
  const conns = await si.networkConnections();
  process.stdout.write(`${conns.length}\n`);
}
