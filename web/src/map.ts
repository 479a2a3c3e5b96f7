// The map: the seeds' drawing of a host made live. This host is the circle in
// the middle; its listening ports are doors on the circle's edge (labelled with
// port, service and bind scope); the processes that hold them stand inside,
// behind their doors (containers and units further in); remote peers stand
// outside. Edges carry connection counts (width) and states (colour).
//
// Layout is radial and deterministic rather than force-directed: the server
// already aggregates 100k sockets to at most ~160 nodes, a fixed geometry keeps
// every node where the reader last saw it from one tick to the next (a force
// simulation would drift), and it costs nothing to compute. SVG rather than
// canvas: a few hundred elements draw fast, and labels stay real text (set with
// textContent, searchable, testable, accessible).
import { svg, replace } from './dom.js';
import { num, t } from './i18n.js';
import { dominantState, stateColor } from './states.js';
import type { MapEdge, MapEvent, MapNode } from './types.js';

// Wider than tall: screens are, and the peers' labels run sideways.
const W = 1500;
const H = 900;
const CX = W / 2;
const CY = H / 2;
const R_HOST = 255;
const R_PROCESS = 172;
const R_GROUP = 88;
const R_PEER = 410;

interface Placed {
  node: MapNode;
  /** What the node's drawing was made from (redrawn only when it changes). */
  sig?: string;
  x: number;
  y: number;
  angle: number;
  g: SVGGElement;
}

interface Particle {
  path: [number, number, number, number];
  start: number;
  color: string;
  dot: SVGCircleElement;
}

const TAU = Math.PI * 2;
/** Process labels drawn at most (inward labels converge; past this many they overlap). */
const MAX_PROCESS_LABELS = 28;
const norm = (a: number): number => ((a % TAU) + TAU) % TAU;

/** Circular mean of angles; undefined for none. */
function meanAngle(as: number[]): number | undefined {
  if (!as.length) return undefined;
  let x = 0;
  let y = 0;
  for (const a of as) {
    x += Math.cos(a);
    y += Math.sin(a);
  }
  if (Math.abs(x) < 1e-9 && Math.abs(y) < 1e-9) return as[0];
  return norm(Math.atan2(y, x));
}

/**
 * Spread angles so that neighbours are at least `gap` apart, keeping their
 * order and moving them as little as possible (least squares): cut the circle
 * at its widest empty arc, then along that line x_i = z_i + i*gap where z is the
 * isotonic regression of want_i - i*gap (pool adjacent violators, linear time).
 */
function spread(items: { want: number; angle: number }[], gap: number): void {
  const n = items.length;
  if (!n) return;
  const g = Math.min(gap, TAU / n);
  items.sort((a, b) => a.want - b.want);
  // Start after the widest gap between wanted angles.
  let cut = 0;
  let widest = -1;
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? items[i + 1]!.want : items[0]!.want + TAU;
    if (next - items[i]!.want > widest) {
      widest = next - items[i]!.want;
      cut = (i + 1) % n;
    }
  }
  const order = [...items.slice(cut), ...items.slice(0, cut)];
  const base = order[0]!.want;
  const y = order.map((it, i) => (it.want < base ? it.want + TAU : it.want) - i * g);
  // Pool adjacent violators: blocks of (mean, size).
  const means: number[] = [];
  const sizes: number[] = [];
  for (const v of y) {
    means.push(v);
    sizes.push(1);
    while (means.length > 1 && means[means.length - 2]! > means[means.length - 1]!) {
      const m2 = means.pop()!;
      const s2 = sizes.pop()!;
      const m1 = means.pop()!;
      const s1 = sizes.pop()!;
      means.push((m1 * s1 + m2 * s2) / (s1 + s2));
      sizes.push(s1 + s2);
    }
  }
  let i = 0;
  for (let b = 0; b < means.length; b++) {
    for (let k = 0; k < sizes[b]!; k++, i++) order[i]!.angle = norm(means[b]! + i * g);
  }
}

export class MapView {
  readonly root: SVGSVGElement;
  private readonly edgeLayer: SVGGElement;
  private readonly nodeLayer: SVGGElement;
  private readonly particleLayer: SVGGElement;
  private readonly hostCircle: SVGCircleElement;
  private readonly hostLabel: SVGTextElement;
  private readonly hostCount: SVGTextElement;
  private readonly empty: SVGTextElement;
  private placed = new Map<string, Placed>();
  private edges = new Map<string, { edge: MapEdge; path: SVGLineElement; title: SVGTitleElement }>();
  private particles: Particle[] = [];
  private last: MapEvent | undefined;
  private hostname = '';
  private selectedFilter = '';
  private animating = false;
  private doors = 0;
  private labelled = new Set<string>();
  private maxProcR = 18;

  constructor(container: HTMLElement, private readonly onPick: (node: MapNode) => void) {
    this.root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'map', role: 'img', id: 'map-svg' });
    this.hostCircle = svg('circle', { cx: CX, cy: CY, r: R_HOST, class: 'host-ring' });
    this.hostLabel = svg('text', { x: CX, y: CY - 6, class: 'host-label', 'text-anchor': 'middle' });
    this.hostCount = svg('text', { x: CX, y: CY + 16, class: 'host-count', 'text-anchor': 'middle' });
    this.empty = svg('text', { x: CX, y: CY + 40, class: 'map-empty', 'text-anchor': 'middle' });
    this.edgeLayer = svg('g', { class: 'edges' });
    this.particleLayer = svg('g', { class: 'particles' });
    this.nodeLayer = svg('g', { class: 'nodes' });
    this.root.append(this.hostCircle, this.hostLabel, this.hostCount, this.empty, this.edgeLayer, this.particleLayer, this.nodeLayer);
    container.append(this.root);
  }

  setHost(name: string): void {
    this.hostname = name;
    this.hostLabel.textContent = name;
  }

  /** The filter now in the box: the node it came from is drawn selected. */
  setSelected(filter: string): void {
    this.selectedFilter = filter;
    for (const p of this.placed.values()) p.g.classList.toggle('selected', filter !== '' && p.node.filter === filter);
  }

  relabel(): void {
    this.textsKey++;
    if (this.last) this.update(this.last, false);
  }

  private visible = true;
  private stale = false;

  /** A hidden map only keeps the latest frame, and draws it (without animation) when shown. */
  show(visible: boolean): void {
    this.visible = visible;
    if (visible && this.stale && this.last) this.update(this.last, false);
  }

  update(ev: MapEvent, animate = true): void {
    this.last = ev;
    if (!this.visible) {
      this.stale = true;
      return;
    }
    this.stale = false;
    const host = ev.nodes.find((n) => n.kind === 'host');
    this.hostLabel.textContent = host?.label || this.hostname;
    const total = host?.count ?? ev.nodes.filter((n) => n.kind === 'port' || n.kind === 'peer').reduce((a, n) => a + n.count, 0);
    this.hostCount.textContent = t('web.map.sockets', { n: num(total) });
    this.empty.textContent = ev.nodes.some((n) => n.kind !== 'host') ? '' : t('web.map.empty');

    this.doors = ev.nodes.filter((n) => n.kind === 'port').length;
    // A crowded ring of processes: the busiest keep their labels (the rest say theirs on hover),
    // and no circle is wider than its share of the ring.
    const procs = ev.nodes.filter((n) => n.kind === 'process').sort((a, b) => b.count - a.count);
    this.labelled = new Set(procs.slice(0, MAX_PROCESS_LABELS).map((n) => n.id));
    this.maxProcR = Math.max(4, (Math.PI * R_PROCESS) / Math.max(1, procs.length) - 2);
    const target = this.layout(ev);
    const seen = new Set<string>();
    const from = new Map<string, { x: number; y: number }>();
    for (const n of ev.nodes) {
      if (n.kind === 'host') continue;
      seen.add(n.id);
      const pos = target.get(n.id)!;
      let p = this.placed.get(n.id);
      if (!p) {
        const g = svg('g', { class: `node kind-${n.kind}`, 'data-id': n.id, 'data-kind': n.kind, tabindex: 0, role: 'button' });
        g.addEventListener('click', () => this.onPick(this.placed.get(n.id)!.node));
        g.addEventListener('keydown', (e) => {
          if (e.key === 'Enter' || e.key === ' ') this.onPick(this.placed.get(n.id)!.node);
        });
        if (animate) g.classList.add('enter');
        // A one-off: an animation class left on would play again each time the map is shown (display: none → block).
        g.addEventListener('animationend', () => g.classList.remove('enter'));
        this.nodeLayer.append(g);
        p = { node: n, x: pos.x, y: pos.y, angle: pos.angle, g };
        this.placed.set(n.id, p);
        from.set(n.id, pos);
      } else {
        from.set(n.id, { x: p.x, y: p.y });
        p.g.classList.remove('exit');
      }
      p.node = n;
      p.angle = pos.angle;
      // Redraw a node only when what it shows changed: most looks change a few counts, not the picture.
      const sig = `${n.label}|${n.sublabel ?? ''}|${n.scope ?? ''}|${n.protocol ?? ''}|${n.folded ?? ''}|${this.radiusOf(n)}|${pos.angle.toFixed(3)}|${this.labelled.has(n.id)}|${this.doors <= 24}|${this.textsKey}`;
      if (p.sig !== sig) {
        p.sig = sig;
        this.drawNode(p);
      } else {
        p.g.querySelector('title')!.textContent = this.nodeTitle(n);
      }
      p.g.classList.toggle('selected', this.selectedFilter !== '' && n.filter === this.selectedFilter);
    }
    for (const [id, p] of this.placed) {
      if (seen.has(id)) continue;
      this.placed.delete(id);
      // Leave: fade out where it stood, then go.
      p.g.classList.add('exit');
      setTimeout(() => p.g.remove(), animate ? 700 : 0);
    }

    // Edges.
    const seenEdges = new Set<string>();
    for (const e of ev.edges) {
      if (!target.has(e.from) && !this.isHost(ev, e.from)) continue;
      if (!target.has(e.to) && !this.isHost(ev, e.to)) continue;
      seenEdges.add(e.id);
      let d = this.edges.get(e.id);
      if (!d) {
        const title = svg('title');
        const path = svg('line', { class: 'edge', 'data-id': e.id }, title);
        if (animate) path.classList.add('enter');
        path.addEventListener('animationend', () => path.classList.remove('enter', 'flash-opened', 'flash-closed'));
        this.edgeLayer.append(path);
        d = { edge: e, path, title };
        this.edges.set(e.id, d);
      }
      d.edge = e;
      const state = dominantState(e.states);
      const width = String(Math.min(14, 1 + Math.log2(1 + e.count) * 1.6));
      if (d.path.getAttribute('data-state') !== state) {
        d.path.setAttribute('stroke', stateColor(state));
        d.path.setAttribute('data-state', state);
      }
      if (d.path.getAttribute('stroke-width') !== width) d.path.setAttribute('stroke-width', width);
      d.title.textContent = this.edgeTitle(ev, e);
    }
    for (const [id, d] of this.edges) {
      if (seenEdges.has(id)) continue;
      this.edges.delete(id);
      d.path.classList.add('exit');
      setTimeout(() => d.path.remove(), animate ? 700 : 0);
    }

    // Move nodes from where they were to where they go, then the particles.
    const to = target;
    const start = performance.now();
    // Only nodes that move (or are new) are touched, and edges only when a node moved.
    const movers = [...this.placed].filter(([id, p]) => {
      const a = from.get(id);
      const b = to.get(id);
      return !p.g.hasAttribute('transform') || (a && b && (Math.abs(a.x - b.x) > 0.05 || Math.abs(a.y - b.y) > 0.05));
    });
    const dur = animate ? 450 : 0;
    const frame = (now: number): void => {
      const k = dur === 0 ? 1 : Math.min(1, (now - start) / dur);
      const ease = 1 - (1 - k) ** 3;
      for (const [id, p] of movers) {
        const a = from.get(id) ?? p;
        const b = to.get(id) ?? p;
        p.x = a.x + (b.x - a.x) * ease;
        p.y = a.y + (b.y - a.y) * ease;
        p.g.setAttribute('transform', `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`);
      }
      this.placeEdges(ev, movers.length > 0);
      if (k < 1 && movers.length) requestAnimationFrame(frame);
    };
    if (dur === 0 || !movers.length) frame(start + dur);
    else requestAnimationFrame(frame);

    if (animate) {
      this.flash(ev, ev.changes.opened, 'opened');
      this.flash(ev, ev.changes.closed, 'closed');
    }
  }

  private isHost(ev: MapEvent, id: string): boolean {
    return ev.nodes.some((n) => n.id === id && n.kind === 'host');
  }

  private pos(id: string): { x: number; y: number } {
    const p = this.placed.get(id);
    return p ? { x: p.x, y: p.y } : { x: CX, y: CY };
  }

  private placeEdges(_ev: MapEvent, all: boolean): void {
    for (const d of this.edges.values()) {
      // Without movers only new edges need their ends.
      if (!all && d.path.hasAttribute('x1')) continue;
      const a = this.pos(d.edge.from);
      const b = this.pos(d.edge.to);
      d.path.setAttribute('x1', a.x.toFixed(1));
      d.path.setAttribute('y1', a.y.toFixed(1));
      d.path.setAttribute('x2', b.x.toFixed(1));
      d.path.setAttribute('y2', b.y.toFixed(1));
    }
  }

  private edgeTitle(ev: MapEvent, e: MapEdge): string {
    const name = (id: string): string => ev.nodes.find((n) => n.id === id)?.label ?? id;
    const states = Object.entries(e.states).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${num(n)}`).join(', ');
    return `${name(e.from)} — ${name(e.to)}: ${t('web.map.sockets', { n: num(e.count) })} (${states})`;
  }

  /** Edges that gained (green) or lost (red) sockets this tick: a dot runs along them, and they glow. */
  private flash(ev: MapEvent, ids: string[], how: 'opened' | 'closed'): void {
    const color = how === 'opened' ? '#27c46b' : '#e0483b';
    for (const id of ids.slice(0, 24)) {
      const d = this.edges.get(id);
      if (!d) continue;
      // Restart the CSS animation on the next frame (no forced layout per edge).
      d.path.classList.remove('flash-opened', 'flash-closed');
      const path = d.path;
      requestAnimationFrame(() => path.classList.add(`flash-${how}`));
      const a = this.pos(d.edge.from);
      const b = this.pos(d.edge.to);
      // Opening connections travel inwards (peer to door), closing ones outwards.
      const outer = (p: { x: number; y: number }): number => Math.hypot(p.x - CX, p.y - CY);
      const [p, q] = (how === 'opened') === outer(a) > outer(b) ? [a, b] : [b, a];
      const dot = svg('circle', { r: 5, fill: color, class: 'particle' });
      this.particleLayer.append(dot);
      this.particles.push({ path: [p.x, p.y, q.x, q.y], start: performance.now(), color, dot });
    }
    void ev;
    if (!this.animating && this.particles.length) {
      this.animating = true;
      requestAnimationFrame((n) => this.runParticles(n));
    }
  }

  private lastParticleFrame = 0;

  private runParticles(now: number): void {
    const DUR = 800;
    // 30 frames a second is smooth enough for a dot, and halves the repaints of the map.
    if (now - this.lastParticleFrame < 30) {
      requestAnimationFrame((n) => this.runParticles(n));
      return;
    }
    this.lastParticleFrame = now;
    this.particles = this.particles.filter((p) => {
      const k = (now - p.start) / DUR;
      if (k >= 1) {
        p.dot.remove();
        return false;
      }
      const [x1, y1, x2, y2] = p.path;
      p.dot.setAttribute('cx', (x1 + (x2 - x1) * k).toFixed(1));
      p.dot.setAttribute('cy', (y1 + (y2 - y1) * k).toFixed(1));
      p.dot.setAttribute('opacity', String(1 - k * 0.6));
      return true;
    });
    if (this.particles.length) requestAnimationFrame((n) => this.runParticles(n));
    else this.animating = false;
  }

  /** Language of the texts drawn (a relabel redraws every node). */
  private textsKey = 0;

  private radiusOf(n: MapNode): number {
    const size = Math.min(18, 5 + Math.sqrt(n.count) * 1.3);
    return Math.round((n.kind === 'process' ? Math.min(size, this.maxProcR) : size) * 2) / 2;
  }

  private nodeTitle(n: MapNode): string {
    const { label, sub } = this.texts(n);
    return [label, sub, n.scope ? t(`web.scope.${n.scope}`) : undefined, t('web.map.sockets', { n: num(n.count) })].filter(Boolean).join(' · ');
  }

  /** The words a node shows: the server's label, or ours for the nodes that stand for several. */
  private texts(n: MapNode): { label: string; sub: string } {
    if (n.folded !== undefined) return { label: t(`web.map.other.${n.kind}`, { n: num(n.folded) }), sub: '' };
    if (n.unheld) return { label: t('web.map.unheld'), sub: '' };
    if (n.kind === 'port') return { label: `${n.label}/${n.protocol ?? ''}`.replace(/\/$/, ''), sub: n.sublabel ?? '' };
    return { label: n.label, sub: n.sublabel ?? '' };
  }

  private drawNode(p: Placed): void {
    const n = p.node;
    const g = p.g;
    const a = p.angle;
    const deg = (a * 180) / Math.PI;
    // Text along the radius, never upside down.
    const flip = Math.cos(a) < 0;
    const rot = flip ? deg + 180 : deg;
    const size = this.radiusOf(n);
    const { label: text, sub } = this.texts(n);
    const title = svg('title');
    title.textContent = this.nodeTitle(n);
    const parts: SVGElement[] = [title];
    const cut = (x: string, max: number): string => (x.length > max ? x.slice(0, max - 1) + '…' : x);
    /** A label along the radius, `dx` from the node, outward or inward. */
    const radial = (main: string, rest: string, dx: number, outward: boolean, max: number): SVGTextElement => {
      const anchor = outward !== flip ? 'start' : 'end';
      const d = outward !== flip ? dx : -dx;
      const e = svg('text', { class: 'label', transform: `rotate(${rot.toFixed(1)}) translate(${d.toFixed(1)} 0)`, 'text-anchor': anchor, 'dominant-baseline': 'middle' });
      const room = max - main.length;
      e.textContent = cut(main, max);
      if (rest && room > 3) {
        const ts = svg('tspan', { class: 'sublabel', dx: 5 });
        ts.textContent = cut(rest, room);
        e.append(ts);
      }
      return e;
    };
    switch (n.kind) {
      case 'port': {
        // A door in the wall: a small rectangle turned along the circle.
        parts.push(svg('rect', { x: -8, y: -12, width: 16, height: 24, rx: 2, class: `door scope-${n.scope ?? 'unknown'}`, transform: `rotate(${deg.toFixed(1)})` }));
        // The label runs outwards and must end before the peers' ring: the
        // service goes on a second line while the doors are few enough for it.
        const label = radial(text, '', 15, true, 15);
        parts.push(label);
        if (sub && this.doors <= 24) {
          const second = radial(sub, '', 15, true, 15);
          second.setAttribute('class', 'label sublabel-line');
          second.setAttribute('dy', '15');
          label.setAttribute('dy', '-1');
          parts.push(second);
        }
        break;
      }
      case 'process': {
        const r = size;
        parts.push(svg('circle', { r, class: n.unheld ? 'proc unheld' : 'proc' }));
        if (this.labelled.has(n.id)) parts.push(radial(text, sub, r + 5, false, 15));
        break;
      }
      case 'group':
        parts.push(svg('rect', { x: -10, y: -10, width: 20, height: 20, rx: 4, class: 'group' }));
        parts.push(radial(text, sub, 14, false, 10));
        break;
      case 'peer': {
        // Outside the wall there is room sideways: peers' labels read horizontally.
        parts.push(svg('circle', { r: size, class: 'peer' }));
        const right = Math.cos(a) >= -0.2;
        const e = svg('text', { class: 'label', x: right ? size + 6 : -(size + 6), y: 0, 'text-anchor': right ? 'start' : 'end', 'dominant-baseline': 'middle' });
        e.textContent = cut(text, 30);
        if (sub) {
          const ts = svg('tspan', { class: 'sublabel', dx: 5 });
          ts.textContent = cut(sub, 20);
          e.append(ts);
        }
        parts.push(e);
        break;
      }
      default:
        parts.push(svg('circle', { r: 6 }));
    }
    replace(g, ...parts);
  }

  /** Where each node goes (see the top of the file). */
  private layout(ev: MapEvent): Map<string, { x: number; y: number; angle: number }> {
    const nodes = ev.nodes.filter((n) => n.kind !== 'host');
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const adj = new Map<string, { id: string; count: number }[]>();
    for (const e of ev.edges) {
      if (!byId.has(e.from) || !byId.has(e.to)) continue;
      (adj.get(e.from) ?? adj.set(e.from, []).get(e.from)!).push({ id: e.to, count: e.count });
      (adj.get(e.to) ?? adj.set(e.to, []).get(e.to)!).push({ id: e.from, count: e.count });
    }
    const neighbours = (id: string, kind: MapNode['kind']): { id: string; count: number }[] =>
      (adj.get(id) ?? []).filter((x) => byId.get(x.id)?.kind === kind);
    const portNum = (n: MapNode): number => {
      const m = /(\d+)/.exec(n.label);
      return m ? Number(m[1]) : 1e6;
    };

    // Ports ordered by the process behind them (so one program's doors sit
    // together), then by number; ports no process holds come last. Processes
    // with no door (clients only) get a slot of their own in the ring.
    const processes = nodes.filter((n) => n.kind === 'process');
    const ports = nodes.filter((n) => n.kind === 'port');
    const ownerOf = new Map<string, string>();
    for (const p of ports) {
      const owners = neighbours(p.id, 'process').sort((a, b) => b.count - a.count);
      if (owners[0]) ownerOf.set(p.id, owners[0].id);
    }
    const procOrder = [...processes].sort((a, b) => {
      const pa = Math.min(...ports.filter((p) => ownerOf.get(p.id) === a.id).map(portNum), 1e7);
      const pb = Math.min(...ports.filter((p) => ownerOf.get(p.id) === b.id).map(portNum), 1e7);
      return pa - pb || b.count - a.count || (a.label < b.label ? -1 : 1);
    });
    const procRank = new Map(procOrder.map((p, i) => [p.id, i]));
    const slots: { id: string; kind: 'port' | 'process' }[] = [];
    const sortedPorts = [...ports].sort((a, b) => {
      const ra = procRank.get(ownerOf.get(a.id) ?? '') ?? 1e6;
      const rb = procRank.get(ownerOf.get(b.id) ?? '') ?? 1e6;
      return ra - rb || portNum(a) - portNum(b) || (a.label < b.label ? -1 : 1);
    });
    // Walk processes in order, each followed by its doors.
    const used = new Set<string>();
    for (const p of procOrder) {
      const own = sortedPorts.filter((x) => ownerOf.get(x.id) === p.id);
      if (!own.length) slots.push({ id: p.id, kind: 'process' });
      for (const x of own) {
        slots.push({ id: x.id, kind: 'port' });
        used.add(x.id);
      }
    }
    for (const x of sortedPorts) if (!used.has(x.id)) slots.push({ id: x.id, kind: 'port' });

    const out = new Map<string, { x: number; y: number; angle: number }>();
    const at = (id: string, r: number, angle: number): void => {
      out.set(id, { x: CX + r * Math.cos(angle), y: CY + r * Math.sin(angle), angle });
    };
    const slotAngle = new Map<string, number>();
    const N = Math.max(1, slots.length);
    slots.forEach((s, i) => slotAngle.set(s.id, norm(-Math.PI / 2 + (TAU * (i + 0.5)) / N)));
    for (const s of slots) if (s.kind === 'port') at(s.id, R_HOST, slotAngle.get(s.id)!);

    const place = (kind: MapNode['kind'], r: number, minGapPx: number, towards: MapNode['kind'][]): void => {
      const items = nodes.filter((n) => n.kind === kind).map((n) => {
        const as: number[] = [];
        for (const k of towards) for (const x of neighbours(n.id, k)) {
          const a = out.get(x.id)?.angle ?? slotAngle.get(x.id);
          if (a !== undefined) for (let i = 0; i < Math.min(8, Math.ceil(Math.log2(1 + x.count))); i++) as.push(a);
        }
        const want = slotAngle.get(n.id) ?? meanAngle(as) ?? norm(-Math.PI / 2);
        return { id: n.id, want, angle: want };
      });
      spread(items, minGapPx / r);
      for (const it of items) at(it.id, r, it.angle);
    };
    // Process labels run inwards and converge: keep them further apart than the doors.
    place('process', R_PROCESS, 40, ['port', 'peer']);
    place('group', R_GROUP, 26, ['process']);
    place('peer', R_PEER, 22, ['port', 'process']);
    return out;
  }
}
