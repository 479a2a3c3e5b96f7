// Putting frames on a terminal without flicker: the alternate screen, the
// cursor hidden, and only the lines that differ from the last frame rewritten,
// all in one write wrapped in a synchronized update (DEC mode 2026; terminals
// that do not know it ignore it). leave() restores everything and is safe to
// call more than once, from an exit or signal handler.

// Bracketed paste (mode 2004) on: pasted text comes between CSI 200~ and CSI 201~,
// so KeyParser can tell it from typed keys and never run it as commands.
export const ENTER = '\x1b[?1049h\x1b[?25l\x1b[?2004h\x1b[2J';
export const LEAVE = '\x1b[0m\x1b[?2004l\x1b[?25h\x1b[?1049l';

export class Screen {
  private prev: string[] = [];
  private active = false;

  constructor(private readonly write: (s: string) => void) {}

  enter(): void {
    if (this.active) return;
    this.active = true;
    this.prev = [];
    this.write(ENTER);
  }

  leave(): void {
    if (!this.active) return;
    this.active = false;
    this.write(LEAVE);
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Forget the last frame (after a resize): the next frame is drawn whole. */
  invalidate(): void {
    this.prev = [];
    if (this.active) this.write('\x1b[2J');
  }

  /** Draw a frame: each line is a full row, already fitted to the width. */
  frame(lines: readonly string[]): void {
    if (!this.active) return;
    let out = '';
    for (let i = 0; i < lines.length; i++) {
      if (this.prev[i] === lines[i]) continue;
      out += `\x1b[${i + 1};1H${lines[i]}\x1b[0m`;
    }
    for (let i = lines.length; i < this.prev.length; i++) out += `\x1b[${i + 1};1H\x1b[2K`;
    this.prev = lines.slice();
    if (out) this.write(`\x1b[?2026h${out}\x1b[?2026l`);
  }
}
