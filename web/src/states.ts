// TCP/UDP state names in a fixed order and the colour each is drawn in, shared
// by the map's edges, the timeline's series and the lab's diagram.
export const STATES = [
  'ESTABLISHED', 'LISTEN', 'UNCONN', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2',
  'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT', 'CLOSE',
] as const;

// Colour-blind-safe-ish groups: green data flowing, blue waiting for peers,
// amber opening, orange a program that has not closed, purple closing, grey done.
export const STATE_COLOR: Record<string, string> = {
  ESTABLISHED: '#2e9e5b',
  LISTEN: '#3a78c9',
  UNCONN: '#4aa3b5',
  SYN_SENT: '#d9a400',
  SYN_RECV: '#e0b93a',
  FIN_WAIT1: '#8e5cc4',
  FIN_WAIT2: '#a57fd6',
  CLOSE_WAIT: '#e06c1f',
  CLOSING: '#b04fb0',
  LAST_ACK: '#c27ac2',
  TIME_WAIT: '#8a8f98',
  CLOSE: '#5f646c',
};

export function stateColor(state: string): string {
  return STATE_COLOR[state] ?? '#777';
}

/** The state with the most sockets (ties: the earlier in STATES). */
export function dominantState(states: Record<string, number>): string {
  let best = '';
  let n = -1;
  for (const s of STATES) {
    const c = states[s] ?? 0;
    if (c > n) {
      best = s;
      n = c;
    }
  }
  for (const [s, c] of Object.entries(states)) if (c > n) { best = s; n = c; }
  return best;
}
