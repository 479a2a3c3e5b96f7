// A real terminal for the live view's tests: a tmux server of our own (private
// socket, so the machine's other tmux sessions are never touched), one window
// of 160x40 running a command; keys in, screen text out. Killed after the test.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { BIN, REPO_ROOT, eventually } from '../live/helpers.js';

let counter = 0;

export class Tmux {
  readonly socket = `sockscope-test-${process.pid}-${++counter}`;
  readonly session = 'w';

  private run(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', timeout: 10_000 });
  }

  /** Start `command` (a shell line) in a window of 160x40, or the size given. */
  start(command: string, env: Record<string, string> = {}, size: { x: number; y: number } = { x: 160, y: 40 }): void {
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ');
    this.run(['new-session', '-d', '-s', this.session, '-x', String(size.x), '-y', String(size.y), '-c', REPO_ROOT,
      `env -u NO_COLOR TERM=xterm-256color LANG=C.UTF-8 ${vars} sh -c '${command}'`]);
  }

  /** The watch command line, with its exit status printed after it ends, then a pause so the pane stays. */
  static watchLine(args: string): string {
    return `${process.execPath} ${BIN} watch ${args}; echo WATCH-EXIT $?; stty -a | grep -o -- "[-]*icanon"; sleep 60`;
  }

  keys(...keys: string[]): void {
    this.run(['send-keys', '-t', this.session, ...keys]);
  }

  /** Literal text (no key names). */
  type(text: string): void {
    this.run(['send-keys', '-t', this.session, '-l', text]);
  }

  capture(escapes = false): string {
    return this.run(['capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', this.session]);
  }

  /** Pid of the program running in the pane's shell. */
  childPid(): number | undefined {
    const pane = Number(this.run(['display-message', '-p', '-t', this.session, '#{pane_pid}']).trim());
    try {
      const out = execFileSync('pgrep', ['-P', String(pane)], { encoding: 'utf8', timeout: 5000 }).trim().split('\n');
      return out[0] ? Number(out[0]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Wait until the screen satisfies `check` (bounded), returning the screen. */
  async until(what: string, check: (screen: string) => boolean, { timeoutMs = 8000, escapes = false } = {}): Promise<string> {
    return eventually(what, () => {
      const s = this.capture(escapes);
      if (!check(s)) throw new Error(`screen:\n${s}`);
      return s;
    }, { timeoutMs, intervalMs: 100 });
  }

  /** Set a server option (before the program in the pane writes anything that depends on it). */
  option(name: string, value: string): void {
    this.run(['set-option', '-s', name, value]);
  }

  /** A tmux format variable of the pane (e.g. pane_title). */
  format(name: string): string {
    return this.run(['display-message', '-p', '-t', this.session, `#{${name}}`]).trim();
  }

  /** Paste buffers tmux holds (an OSC 52 clipboard write that reached the terminal makes one). */
  buffers(): string {
    return this.run(['list-buffers']);
  }

  kill(): void {
    let path: string | undefined;
    try {
      path = this.run(['display-message', '-p', '#{socket_path}']).trim();
    } catch {
      // No server: nothing to find.
    }
    try {
      this.run(['kill-server']);
    } catch {
      // Already gone.
    }
    // tmux leaves its socket file behind.
    if (path && path.includes('sockscope-test-')) rmSync(path, { force: true });
  }
}

/** A tmux for this test, killed when it ends. */
export function tmux(t: TestContext): Tmux {
  const x = new Tmux();
  t.after(() => x.kill());
  return x;
}

/** The screen line that shows this local endpoint. */
export function lineWith(screen: string, needle: string): string | undefined {
  return screen.split('\n').find((l) => l.includes(needle));
}
