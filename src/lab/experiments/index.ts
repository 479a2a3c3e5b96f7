// Every experiment, in the order `sockscope lab` lists them.
import type { Experiment } from '../types.js';
import { backlog } from './backlog.js';
import { bind } from './bind.js';
import { buffers } from './buffers.js';
import { close } from './close.js';
import { ephemeral } from './ephemeral.js';
import { fourTuple } from './four-tuple.js';
import { shared } from './shared.js';
import { udp } from './udp.js';

/** Factories: each run gets fresh state. */
export const EXPERIMENTS: readonly { name: string; make: () => Experiment }[] = [
  { name: 'backlog', make: backlog },
  { name: 'four-tuple', make: fourTuple },
  { name: 'ephemeral', make: ephemeral },
  { name: 'close', make: close },
  { name: 'buffers', make: buffers },
  { name: 'bind', make: bind },
  { name: 'udp', make: udp },
  { name: 'shared', make: shared },
];

export const EXPERIMENT_NAMES: readonly string[] = EXPERIMENTS.map((e) => e.name);

/** A fresh experiment by name; undefined if there is none. */
export function experiment(name: string): Experiment | undefined {
  return EXPERIMENTS.find((e) => e.name === name)?.make();
}
