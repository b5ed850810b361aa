// The lineage graph: a layered layout of a DAG (longest path from the roots, then a few
// barycentre sweeps to cut crossings), drawn as SVG with wheel zoom, drag pan and a fit button.
// Written for silt (no layout library): O(nodes + edges) per sweep.
const SVGNS = 'http://www.w3.org/2000/svg';
const W = 170, H = 30, GAPX = 70, GAPY = 14;

// nodes: [{unique_id, ...}], edges: [[from, to]]; returns {pos: Map id -> {x, y}, width, height}.
export function layout(nodes, edges) {
  const ids = nodes.map((n) => n.unique_id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds = ids.map(() => []), succs = ids.map(() => []);
  for (const [a, b] of edges) {
    const i = index.get(a), j = index.get(b);
    if (i === undefined || j === undefined || i === j) continue;
    succs[i].push(j);
    preds[j].push(i);
  }
  // layers: longest path from a root (Kahn's order; a cycle's rest goes to layer 0)
  const indeg = preds.map((p) => p.length), layer = ids.map(() => 0);
  const queue = [];
  indeg.forEach((d, i) => { if (!d) queue.push(i); });
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    for (const j of succs[i]) {
      layer[j] = Math.max(layer[j], layer[i] + 1);
      if (--indeg[j] === 0) queue.push(j);
    }
  }
  const nlayers = Math.max(0, ...layer) + 1;
  const rows = Array.from({ length: nlayers }, () => []);
  ids.forEach((_, i) => rows[layer[i]].push(i));
  rows.forEach((r) => r.sort((a, b) => (ids[a] < ids[b] ? -1 : 1)));
  const order = new Float64Array(ids.length);
  const renumber = () => rows.forEach((r) => r.forEach((i, k) => { order[i] = k; }));
  renumber();
  const bary = (i, nb) => (nb[i].length ? nb[i].reduce((s, j) => s + order[j], 0) / nb[i].length : order[i]);
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const seq = down ? rows.slice(1) : rows.slice(0, -1).reverse();
    for (const r of seq) {
      const key = new Map(r.map((i) => [i, bary(i, down ? preds : succs)]));
      r.sort((a, b) => key.get(a) - key.get(b));
      r.forEach((i, k) => { order[i] = k; });
    }
  }
  const tallest = Math.max(1, ...rows.map((r) => r.length));
  const pos = new Map();
  rows.forEach((r, l) => {
    const off = ((tallest - r.length) * (H + GAPY)) / 2;
    r.forEach((i, k) => pos.set(ids[i], { x: l * (W + GAPX), y: off + k * (H + GAPY) }));
  });
  return { pos, width: nlayers * (W + GAPX) - GAPX, height: tallest * (H + GAPY) - GAPY };
}

function el(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

const COLORS = {
  model: '#3b6fd4', seed: '#2f9e6e', snapshot: '#8a56c2', source: '#d08a1c', test: '#7a8394',
  exposure: '#c2417a', analysis: '#5a8f9e',
};
export const colorOf = (type) => COLORS[type] || '#888';

// Draws into `box` (emptied). opts.focus: a unique_id to mark; opts.onPick(id) on a click.
// Returns {svg, center(id), fit()}.
export function draw(box, nodes, edges, opts = {}) {
  // the box's size now, before the graph is in it: reading it later would lay out the whole
  // SVG at once more (fit and center use it; the buttons read it again)
  let bw = box.clientWidth || 800, bh = box.clientHeight || 600;
  const { pos, width, height } = layout(nodes, edges);
  const svg = el('svg', { role: 'img', 'aria-label': `lineage of ${nodes.length} nodes` });
  const world = el('g', {});
  svg.append(world);
  const hl = new Set();
  if (opts.focus) for (const [a, b] of edges) if (a === opts.focus || b === opts.focus) hl.add(a + '\0' + b);
  const paths = document.createDocumentFragment();
  for (const [a, b] of edges) {
    const p = pos.get(a), q = pos.get(b);
    if (!p || !q) continue;
    const x1 = p.x + W, y1 = p.y + H / 2, x2 = q.x, y2 = q.y + H / 2, mx = (x1 + x2) / 2;
    const path = document.createElementNS(SVGNS, 'path');
    path.setAttribute('class', hl.has(a + '\0' + b) ? 'edge hl' : 'edge');
    path.setAttribute('d', `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`);
    paths.append(path);
  }
  world.append(paths);
  // each node is a copy of one template group (rect, label, status dot): cloning is cheaper
  // than building every element; one <title>, moved to the node under the pointer, is the
  // tooltip, and one listener takes every click
  const tpl = el('g', {});
  tpl.append(el('rect', { width: W, height: H }), el('text', { x: 8, y: H / 2 + 4 }), el('circle', { cx: W - 10, cy: H / 2, r: 4 }));
  const groups = document.createDocumentFragment();
  for (const n of nodes) {
    const p = pos.get(n.unique_id);
    const g = tpl.cloneNode(true);
    g.setAttribute('class', 'node' + (n.unique_id === opts.focus ? ' focus' : '') + (n.status ? ' st-' + n.status : '') + (n.change ? ' ch-' + n.change : ''));
    g.setAttribute('transform', `translate(${p.x},${p.y})`);
    g.setAttribute('data-id', n.unique_id);
    const [rect, t, dot] = g.childNodes;
    rect.setAttribute('fill', colorOf(n.resource_type));
    t.textContent = n.name.length > 22 ? n.name.slice(0, 21) + '…' : n.name;
    if (n.status) {
      const ok = n.status === 'success' || n.status === 'pass';
      dot.setAttribute('fill', ok ? '#7ee08f' : n.status === 'error' || n.status === 'fail' ? '#ff6b5e' : '#ffd166');
    } else {
      dot.remove();
    }
    groups.append(g);
  }
  world.append(groups);
  const byId = new Map(nodes.map((n) => [n.unique_id, n]));
  const tip = el('title', {});
  svg.addEventListener('pointerover', (e) => {
    const g = e.target.closest && e.target.closest('.node');
    const n = g && byId.get(g.dataset.id);
    if (!n || tip.parentNode === g) return;
    tip.textContent = `${n.unique_id} (${n.resource_type}; ${n.status || 'never run'}${n.change ? '; ' + n.change : ''})`;
    g.prepend(tip);
  });
  svg.addEventListener('click', (e) => {
    const g = e.target.closest && e.target.closest('.node');
    if (g && opts.onPick) opts.onPick(g.dataset.id);
  });
  box.replaceChildren(svg);

  // view: world transform = translate(tx, ty) scale(k)
  let k = 1, tx = 0, ty = 0;
  const apply = () => world.setAttribute('transform', `translate(${tx},${ty}) scale(${k})`);
  const fit = (measure) => {
    if (measure) { bw = box.clientWidth || bw; bh = box.clientHeight || bh; }
    k = Math.min(1.5, Math.max(0.05, Math.min((bw - 40) / Math.max(width, 1), (bh - 40) / Math.max(height, 1))));
    tx = (bw - width * k) / 2;
    ty = (bh - height * k) / 2;
    apply();
  };
  const zoomAt = (f, cx, cy) => {
    const nk = Math.min(4, Math.max(0.05, k * f));
    tx = cx - ((cx - tx) * nk) / k;
    ty = cy - ((cy - ty) * nk) / k;
    k = nk;
    apply();
  };
  svg.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (e) => {
    if (e.target.closest('.node')) return;
    drag = { x: e.clientX - tx, y: e.clientY - ty };
    svg.classList.add('panning');
  });
  window.addEventListener('pointermove', (e) => {
    if (!drag) return;
    tx = e.clientX - drag.x;
    ty = e.clientY - drag.y;
    apply();
  });
  window.addEventListener('pointerup', () => { drag = null; svg.classList.remove('panning'); });
  const center = (id) => {
    const p = pos.get(id);
    if (!p) return;
    tx = bw / 2 - (p.x + W / 2) * k;
    ty = bh / 2 - (p.y + H / 2) * k;
    apply();
  };
  fit();
  return { svg, fit: () => fit(true), center, zoom: (f) => zoomAt(f, bw / 2, bh / 2) };
}

// The nodes within `depth` steps of `focus` upstream, downstream or both.
export function neighbourhood(edges, focus, dir, depth) {
  const up = new Map(), down = new Map();
  for (const [a, b] of edges) {
    if (!down.has(a)) down.set(a, []);
    down.get(a).push(b);
    if (!up.has(b)) up.set(b, []);
    up.get(b).push(a);
  }
  const keep = new Set([focus]);
  const walk = (adj) => {
    let frontier = [focus];
    for (let d = 0; d < depth && frontier.length; d++) {
      const next = [];
      for (const id of frontier) for (const j of adj.get(id) || []) if (!keep.has(j)) { keep.add(j); next.push(j); }
      frontier = next;
    }
  };
  if (dir !== 'downstream') walk(up);
  if (dir !== 'upstream') walk(down);
  return keep;
}
