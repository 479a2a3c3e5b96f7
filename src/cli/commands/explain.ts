// sockscope explain [topic] — what ports, addresses, states and queues mean —
// and sockscope explain --input FILE|- — another machine's netstat/ss/lsof
// output, read and explained row by row.
import { defaultContext } from '../../index.js';
import { readHostFacts } from '../../collectors/procfs/host.js';
import { ianaLookup } from '../../explain/iana.js';
import { msg, translator } from '../../explain/i18n.js';
import { explainTopic, topicList, type Explanation } from '../../explain/topics.js';
import { paint, wrap } from '../../views/sink.js';
import { UsageError, parseArgs, parsePort } from '../args.js';
import type { Io } from '../common.js';
import { loadModule } from '../load.js';

export async function printExplanation(io: Io, e: Explanation): Promise<void> {
  const width = io.global.width;
  await io.stdout.line(paint(io.global.color, 'bold', e.title));
  for (const p of e.paragraphs) {
    for (const line of wrap(p, width, '  ')) await io.stdout.line(line);
  }
  await io.stdout.flush();
}

export async function explainCommand(argv: string[], io: Io): Promise<number> {
  const p = parseArgs(argv, [{ name: 'input', short: 'i', value: true }, { name: 'numeric', short: 'n' }, { name: 'wide', short: 'W' }, { name: 'json' }, { name: 'help', short: 'h' }]);
  if (p.flags.has('help')) {
    await io.stdout.line(msg(io.global.lang, 'help.explain'));
    return 0;
  }
  const t = translator(io.global.lang);
  const input = p.values.get('input')?.[0];
  if (input !== undefined) {
    if (p.positionals.length) throw new UsageError('err.explain-input-topic', { args: p.positionals.join(' ') });
    const { explainPasted } = await loadModule<typeof import('./explain-input.js')>(new URL('./explain-input.js', import.meta.url));
    return explainPasted(io, input, p);
  }
  if (p.flags.has('json')) throw new UsageError('err.explain-json');
  if (p.flags.has('numeric')) throw new UsageError('err.explain-numeric');
  if (p.flags.has('wide')) throw new UsageError('err.explain-wide');
  if (p.positionals.length === 0) {
    await printExplanation(io, topicList(t));
    return 0;
  }
  const [w0, w1] = p.positionals;
  if (w0 === 'port') {
    if (w1 === undefined) throw new UsageError('err.explain-port');
    parsePort(w1.replace(/\/(tcp|udp)$/i, ''));
  }
  const host = readHostFacts(defaultContext({ procRoot: io.global.procRoot }).procRoot);
  const r = explainTopic(p.positionals, t, host, ianaLookup());
  if (!r.ok) {
    if (r.badPort !== undefined) throw new UsageError('err.invalid-port-in', { port: r.badPort, text: p.positionals[0]! });
    const hint = r.suggestions.length ? { key: 'topic.did-you-mean' as const, params: { names: r.suggestions.join(', ') } } : '';
    throw new UsageError('topic.unknown', { topic: p.positionals.join(' '), hint });
  }
  await printExplanation(io, r.explanation);
  return 0;
}
