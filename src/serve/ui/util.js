// Small DOM helpers and a Markdown subset, shared by the Explorer's views.

// h('a', {href: '#/x', class: 'y'}, 'text', child...) builds an element; attributes whose value
// is null, undefined or false are left out, on* attributes become listeners.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replaces el's children (arrays flattened, null and false left out).
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// "2026-11-26T02:23:46.650Z" as a local date and time, and how long ago.
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  return d.toLocaleString() + ' (' + ago(d) + ')';
}

export function ago(d) {
  const s = Math.max(0, (Date.now() - d.getTime()) / 1000);
  if (s < 60) return Math.round(s) + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}

export function duration(a, b) {
  if (!a || !b) return '—';
  const ms = new Date(b) - new Date(a);
  return ms < 1000 ? ms + ' ms' : (ms / 1000).toFixed(1) + ' s';
}

export function badge(type) {
  return h('span', { class: 'badge t-' + type }, type);
}

export function status(s) {
  return s ? h('span', { class: 'status-' + s }, s) : h('span', { class: 'muted' }, 'never run');
}

// A Markdown subset, built as DOM nodes (never innerHTML): paragraphs, "- " lists, `code`,
// **bold**, *emphasis* and [links](http...).
export function markdown(text) {
  const root = h('div', { class: 'md' });
  const blocks = String(text || '').replace(/\r\n/g, '\n').split(/\n\s*\n/);
  for (const b of blocks) {
    const lines = b.split('\n').filter((l) => l.trim() !== '');
    if (!lines.length) continue;
    if (lines.every((l) => /^\s*[-*] /.test(l))) {
      root.append(h('ul', {}, lines.map((l) => h('li', {}, inline(l.replace(/^\s*[-*] /, ''))))));
    } else if (/^#{1,6} /.test(lines[0]) && lines.length === 1) {
      root.append(h('h3', {}, inline(lines[0].replace(/^#+ /, ''))));
    } else {
      root.append(h('p', {}, inline(lines.join(' '))));
    }
  }
  return root;
}

function inline(s) {
  const out = [];
  const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g;
  let last = 0;
  let m;
  while ((m = re.exec(s))) {
    if (m.index > last) out.push(s.slice(last, m.index));
    if (m[1] !== undefined) out.push(h('code', {}, m[1]));
    else if (m[2] !== undefined) out.push(h('strong', {}, m[2]));
    else if (m[3] !== undefined) out.push(h('em', {}, m[3]));
    else out.push(h('a', { href: m[5], rel: 'noopener noreferrer' }, m[4]));
    last = re.lastIndex;
  }
  if (last < s.length) out.push(s.slice(last));
  return out;
}

// Arrow keys, Home/End and Enter over a list of options (role=listbox), the selection kept in
// aria-selected and aria-activedescendant. onPick(index) runs on Enter or a click.
export function listbox(ul, onPick, onMove) {
  ul.setAttribute('role', 'listbox');
  ul.tabIndex = 0;
  let cur = -1;
  const items = () => [...ul.querySelectorAll('[role=option]')];
  const select = (i) => {
    const all = items();
    if (!all.length) return;
    cur = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((el, k) => el.setAttribute('aria-selected', k === cur ? 'true' : 'false'));
    ul.setAttribute('aria-activedescendant', all[cur].id);
    all[cur].scrollIntoView({ block: 'nearest' });
    if (onMove) onMove(cur);
  };
  ul.addEventListener('keydown', (e) => {
    const n = items().length;
    if (e.key === 'ArrowDown') select(cur + 1);
    else if (e.key === 'ArrowUp') select(cur - 1);
    else if (e.key === 'Home') select(0);
    else if (e.key === 'End') select(n - 1);
    else if (e.key === 'Enter' && cur >= 0) onPick(cur);
    else return;
    e.preventDefault();
  });
  ul.addEventListener('click', (e) => {
    const li = e.target.closest('[role=option]');
    if (!li) return;
    const i = items().indexOf(li);
    select(i);
    onPick(i);
  });
  ul.addEventListener('focus', () => { if (cur < 0) select(0); });
  return { select, get current() { return cur; } };
}
