// The lab: run a `sockscope lab` experiment from the page and watch it. The
// TCP state diagram holds the experiment's sockets as dots on their states
// (they move as the kernel moves them; hollow = no process holds it), the
// listener's accept queue fills against its backlog, and each step shows its
// explanation, what the programs said, and every expectation with what was seen.
import * as api from './api.js';
import { el, replace, svg } from './dom.js';
import { num, t } from './i18n.js';
import { stateColor } from './states.js';
import type { LabEvent, Row, Session } from './types.js';

// Where each state sits: RFC 793's diagram, opening at the top, closing below.
const BOX_W = 150;
const BOX_H = 62;
const POS: Record<string, [number, number]> = {
  CLOSE: [380, 20],
  LISTEN: [380, 120],
  SYN_RECV: [150, 220],
  SYN_SENT: [610, 220],
  ESTABLISHED: [380, 320],
  FIN_WAIT1: [150, 420],
  CLOSE_WAIT: [610, 420],
  FIN_WAIT2: [40, 530],
  CLOSING: [260, 530],
  LAST_ACK: [610, 530],
  TIME_WAIT: [150, 640],
  UNCONN: [780, 20],
};
const ARROWS: [string, string, string][] = [
  ['CLOSE', 'LISTEN', 'listen()'],
  ['CLOSE', 'SYN_SENT', 'connect() / SYN'],
  ['LISTEN', 'SYN_RECV', 'SYN / SYN+ACK'],
  ['SYN_SENT', 'ESTABLISHED', 'SYN+ACK / ACK'],
  ['SYN_RECV', 'ESTABLISHED', 'ACK'],
  ['ESTABLISHED', 'FIN_WAIT1', 'close() / FIN'],
  ['ESTABLISHED', 'CLOSE_WAIT', 'FIN / ACK'],
  ['FIN_WAIT1', 'FIN_WAIT2', 'ACK'],
  ['FIN_WAIT1', 'CLOSING', 'FIN / ACK'],
  ['CLOSE_WAIT', 'LAST_ACK', 'close() / FIN'],
  ['FIN_WAIT2', 'TIME_WAIT', 'FIN / ACK'],
  ['CLOSING', 'TIME_WAIT', 'ACK'],
];
const DIAGRAM_W = 940;
const DIAGRAM_H = 720;

interface StepView {
  box: HTMLElement;
  notes: HTMLElement;
  checks: HTMLElement;
  explanation: HTMLElement;
}

export class LabView {
  private readonly picker: HTMLSelectElement;
  private readonly run: HTMLButtonElement;
  private readonly status: HTMLElement;
  private readonly diagram: SVGSVGElement;
  private readonly dots: SVGGElement;
  private readonly queue: HTMLElement;
  private readonly steps: HTMLElement;
  private readonly header: HTMLElement;
  private stepViews: StepView[] = [];
  private dotEls = new Map<string, SVGGElement>();
  private ports = new Set<number>();
  private closeStream: (() => void) | undefined;
  private running = false;
  private lastSockets: Row[] = [];
  private doneEvent: Extract<LabEvent, { type: 'done' }> | undefined;

  constructor(container: HTMLElement, private session: Session) {
    this.picker = el('select', { id: 'lab-pick', 'data-i18n-label': 'web.lab.pick' });
    this.run = el('button', { type: 'button', id: 'lab-run', class: 'primary', 'data-i18n': 'web.lab.run' });
    this.status = el('span', { id: 'lab-status', class: 'lab-status', 'aria-live': 'polite' });
    this.header = el('div', { class: 'lab-header', id: 'lab-header' });
    this.diagram = svg('svg', { viewBox: `0 0 ${DIAGRAM_W} ${DIAGRAM_H}`, class: 'lab-diagram', id: 'lab-diagram' });
    this.dots = svg('g', { class: 'dots' });
    this.queue = el('div', { class: 'lab-queue', id: 'lab-queue' });
    this.steps = el('ol', { class: 'lab-steps', id: 'lab-steps' });
    this.drawDiagram();
    this.diagram.append(this.dots);
    container.append(
      el('div', { class: 'lab-bar' }, el('label', { for: 'lab-pick', 'data-i18n': 'web.lab.pick' }), this.picker, this.run, this.status),
      this.header,
      el('div', { class: 'lab-layout' },
        el('div', { class: 'lab-left' }, el('h3', { 'data-i18n': 'web.lab.diagram' }), this.diagram, el('p', { class: 'hint', 'data-i18n': 'web.lab.legend' }),
          el('h3', { 'data-i18n': 'web.lab.queue.title' }), this.queue),
        el('div', { class: 'lab-right' }, this.steps)),
    );
    this.run.addEventListener('click', () => void this.start());
    this.fillPicker();
    this.renderQueue();
  }

  relabel(): void {
    this.fillPicker();
    this.renderQueue();
    this.renderStatus();
  }

  private fillPicker(): void {
    const chosen = this.picker.value;
    replace(this.picker, ...this.session.experiments.map((x) => el('option', { value: x.name }, `${x.name} — ${x.title}`)));
    if (chosen) this.picker.value = chosen;
  }

  /** The experiment titles come from the server in the session's language; a language switch refetches them. */
  setSession(s: Session): void {
    this.session = s;
    this.fillPicker();
  }

  private drawDiagram(): void {
    const center = (s: string): [number, number] => [POS[s]![0] + BOX_W / 2, POS[s]![1] + BOX_H / 2];
    const defs = svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' })));
    this.diagram.append(defs);
    for (const [a, b, label] of ARROWS) {
      const [x1, y1] = center(a);
      const [x2, y2] = center(b);
      // From box edge to box edge: shorten the line by the boxes' half extents along it.
      const dx = x2 - x1;
      const dy = y2 - y1;
      const len = Math.hypot(dx, dy);
      const cut = (k: number): number => Math.min(Math.abs((BOX_W / 2) / ((dx / len) || 1e-9)), Math.abs((BOX_H / 2) / ((dy / len) || 1e-9))) * k;
      const s = cut(1) + 2;
      const e = cut(1) + 4;
      const p1 = [x1 + (dx / len) * s, y1 + (dy / len) * s];
      const p2 = [x2 - (dx / len) * e, y2 - (dy / len) * e];
      this.diagram.append(svg('line', { x1: p1[0]!, y1: p1[1]!, x2: p2[0]!, y2: p2[1]!, class: 'transition', 'marker-end': 'url(#arrow)' }));
      const lbl = svg('text', { x: (p1[0]! + p2[0]!) / 2 + 6, y: (p1[1]! + p2[1]!) / 2 - 4, class: 'transition-label' });
      lbl.textContent = label;
      this.diagram.append(lbl);
    }
    for (const [state, [x, y]] of Object.entries(POS)) {
      const title = svg('text', { x: x + 8, y: y + 17, class: 'state-name' });
      title.textContent = state === 'CLOSE' ? 'CLOSED' : state;
      this.diagram.append(svg('g', { class: 'state-box', 'data-state': state },
        svg('rect', { x, y, width: BOX_W, height: BOX_H, rx: 8, stroke: stateColor(state) }), title));
    }
  }

  private async start(): Promise<void> {
    if (this.running) return;
    this.closeStream?.();
    this.reset();
    this.running = true;
    this.run.disabled = true;
    this.renderStatus(t('web.lab.starting'));
    try {
      const { run } = await api.postJson<{ run: string }>('/api/lab', { experiment: this.picker.value, lang: document.documentElement.lang || 'en' });
      this.closeStream = api.stream(api.withQuery('/api/lab/stream', { run }), { lab: (d) => this.event(d as LabEvent) }, (s) => {
        if (s === 'lost' && this.running) this.renderStatus(t('web.lab.lost'));
      });
    } catch (e) {
      this.running = false;
      this.run.disabled = false;
      const busy = e instanceof api.HttpError && e.status === 409;
      this.renderStatus(busy ? t('web.lab.busy') : t('web.lab.error', { message: e instanceof api.HttpError ? e.detail || String(e.status) : String(e) }));
    }
  }

  private reset(): void {
    this.stepViews = [];
    this.doneEvent = undefined;
    this.lastSockets = [];
    this.ports.clear();
    for (const d of this.dotEls.values()) d.remove();
    this.dotEls.clear();
    replace(this.steps);
    replace(this.header);
    this.renderQueue();
  }

  private renderStatus(text?: string): void {
    if (text !== undefined) {
      this.status.textContent = text;
      return;
    }
    if (this.doneEvent) this.status.textContent = this.doneText(this.doneEvent);
    else if (this.running) this.status.textContent = t('web.lab.running');
    else this.status.textContent = '';
  }

  private doneText(d: Extract<LabEvent, { type: 'done' }>): string {
    if (d.stopped) return t('web.lab.stopped', { reason: d.stopped });
    return d.ok ? t('web.lab.done.ok', { n: d.checked }) : t('web.lab.done.failed', { failed: d.failures, n: d.checked });
  }

  private event(e: LabEvent): void {
    switch (e.type) {
      case 'start':
        this.ports = new Set(e.ports);
        replace(this.header, el('h2', {}, e.title), el('p', { class: 'hint' }, e.ports.length ? t('web.lab.ports', { ports: e.ports.join(', '), steps: e.steps }) : t('web.lab.steps', { steps: e.steps })));
        this.renderStatus(t('web.lab.running'));
        break;
      case 'step': {
        const notes = el('div', { class: 'notes' });
        const checks = el('ul', { class: 'checks' });
        const explanation = el('p', { class: 'explanation' });
        const box = el('li', { class: 'step current', 'data-index': e.index },
          el('h4', {}, t('web.lab.step', { i: e.index + 1, title: e.title })), notes, checks, explanation);
        for (const v of this.stepViews) v.box.classList.remove('current');
        this.stepViews[e.index] = { box, notes, checks, explanation };
        this.steps.append(box);
        box.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
        break;
      }
      case 'explain':
        if (this.stepViews[e.index]) this.stepViews[e.index]!.explanation.textContent = e.text;
        break;
      case 'say':
        this.stepViews[e.index]?.notes.append(el('p', { class: 'say' }, e.text));
        break;
      case 'observation':
        // The server's side: the experiment's ports, and any port one of its sockets listens on.
        for (const s of e.sockets) if (s.state === 'LISTEN' || s.state === 'UNCONN') this.ports.add(s.localPort);
        this.lastSockets = e.sockets;
        this.placeDots(e.sockets);
        this.renderQueue();
        break;
      case 'expectation':
        this.stepViews[e.index]?.checks.append(el('li', { class: e.ok ? 'ok' : 'failed', 'data-ok': String(e.ok) },
          el('span', { class: 'mark' }, e.ok ? '✓' : '✗'), ' ', t('web.lab.expected', { expected: e.expected }), ' — ', t('web.lab.seen', { seen: e.seen })));
        break;
      case 'packets':
        this.stepViews[e.index]?.notes.append(el('pre', { class: 'packets' }, e.packets.slice(0, 40).map((p) =>
          `${p.from.address}:${p.from.port} → ${p.to.address}:${p.to.port} [${p.flags.join(',')}] seq ${p.seq}${p.ack !== undefined ? ` ack ${p.ack}` : ''} win ${p.window} len ${p.length}${p.marks?.length ? ` (${p.marks.join(', ')})` : ''}`).join('\n')));
        break;
      case 'end':
        // An end without done: the run failed before its first step (or was aborted).
        if (!this.doneEvent) {
          this.running = false;
          this.run.disabled = false;
          this.status.dataset['done'] = 'failed';
          this.renderStatus(t('web.lab.stopped', { reason: e.aborted ? t('web.lab.aborted') : '?' }));
        }
        this.closeStream?.();
        this.closeStream = undefined;
        break;
      case 'done':
        this.doneEvent = e;
        this.running = false;
        this.run.disabled = false;
        for (const v of this.stepViews) v.box.classList.remove('current');
        this.status.dataset['done'] = e.ok ? 'ok' : 'failed';
        this.renderStatus();
        this.closeStream?.();
        this.closeStream = undefined;
        break;
    }
  }

  /** One dot per socket, on its state's box; the same socket (by its ends) moves, with a CSS transition. */
  private placeDots(sockets: Row[]): void {
    const key = (s: Row): string => `${s.protocol}|${s.local}|${s.remote}`;
    const perState = new Map<string, number>();
    const seen = new Set<string>();
    const sorted = [...sockets].sort((a, b) => a.localPort - b.localPort || a.remotePort - b.remotePort);
    for (const s of sorted) {
      const k = key(s);
      seen.add(k);
      const state = s.state in POS ? s.state : 'CLOSE';
      const i = perState.get(state) ?? 0;
      perState.set(state, i + 1);
      const [bx, by] = POS[state]!;
      // Two rows of dots under the state's name (more wrap onto the box's edge).
      const col = i % 12;
      const row = Math.floor(i / 12);
      const x = bx + 12 + col * 11.5;
      const y = by + 32 + row * 13;
      let g = this.dotEls.get(k);
      if (!g) {
        g = svg('g', { class: 'dot' }, svg('circle', { r: 5 }), svg('title'));
        // Appear at the state's box without sliding in from the corner.
        g.style.transform = `translate(${x}px, ${y}px)`;
        this.dots.append(g);
        this.dotEls.set(k, g);
      }
      const server = this.ports.has(s.localPort);
      const held = s.holders.length > 0;
      g.setAttribute('class', `dot ${server ? 'server' : 'client'} ${held ? 'held' : 'unheld'}`);
      g.setAttribute('data-state', state);
      g.style.transform = `translate(${x}px, ${y}px)`;
      g.querySelector('title')!.textContent = `${s.state} ${s.local} → ${s.remote} · Recv-Q ${s.recvQ} · Send-Q ${s.sendQ} · ${s.holders.length ? s.process : t('web.lab.no-holder')}`;
    }
    for (const [k, g] of this.dotEls) {
      if (seen.has(k)) continue;
      this.dotEls.delete(k);
      g.classList.add('gone');
      setTimeout(() => g.remove(), 600);
    }
  }

  /** Each listener's accept queue as slots: filled up to Recv-Q, the backlog marked; past it, red. */
  private renderQueue(): void {
    const listeners = this.lastSockets.filter((s) => s.state === 'LISTEN' && s.protocol.startsWith('tcp'));
    if (!listeners.length) {
      replace(this.queue, el('p', { class: 'hint' }, t('web.lab.queue.none')));
      return;
    }
    replace(this.queue, ...listeners.map((s) => {
      // A listener's Send-Q is its backlog (as ss shows it); '?' when the source cannot see it.
      const backlog = /^\d+$/.test(s.sendQ) ? Number(s.sendQ) : undefined;
      const slots = Math.max(s.recvQ, (backlog ?? s.recvQ) + 1, 1);
      const cells = [];
      for (let i = 0; i < Math.min(slots, 64); i++) {
        const over = backlog !== undefined && i >= backlog + 1;
        cells.push(el('span', { class: `slot${i < s.recvQ ? ' full' : ''}${over ? ' over' : ''}${backlog !== undefined && i === backlog ? ' edge' : ''}` }));
      }
      const text = backlog === undefined
        ? t('web.lab.queue.nobacklog', { port: s.localPort, n: num(s.recvQ) })
        : t('web.lab.queue', { port: s.localPort, n: num(s.recvQ), backlog: num(backlog) });
      return el('div', { class: 'queue', 'data-port': s.localPort, 'data-recvq': s.recvQ, 'data-backlog': backlog ?? '' },
        el('div', { class: 'slots' }, ...cells), el('p', {}, text));
    }));
  }
}
