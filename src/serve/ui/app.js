// silt Explorer: the environment switcher, search, node pages, lineage and runs, routed by the
// URL's hash (#/search?env=prod&q=orders) so every view has a link. Reads only /api/v1.
import { h, clear, fill, when, duration, badge, status, markdown, listbox } from './util.js';
import * as api from './api.js';
import { draw, neighbourhood, colorOf } from './graph.js';

const view = document.getElementById('view');
const envSelect = document.getElementById('env');
const envInfo = document.getElementById('env-info');
const tokenBox = document.getElementById('token');
let envs = [];          // environments with their state (or null)
let current = null;     // the chosen environment's name
const nodeCache = new Map(); // env -> all its nodes (filters and names)

// ---- routing ----

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || 'search', arg: parts.slice(1).join('/'), params: new URLSearchParams(query || '') };
}

export function href(name, arg, params = {}) {
  const q = new URLSearchParams({ env: current || '', ...params });
  for (const [k, v] of [...q]) if (v === '' || v === undefined || v === null) q.delete(k);
  return '#/' + name + (arg ? '/' + encodeURIComponent(arg) : '') + '?' + q;
}

function go(name, arg, params) { location.hash = href(name, arg, params); }

const routes = { search, node: nodePage, lineage, runs, run: runPage, health, compare };

let stopLive = null; // the live log stream of the run page shown, if any

async function route() {
  const r = parseHash();
  delete view.dataset.route;
  if (stopLive) { stopLive(); stopLive = null; }
  try {
    const want = r.params.get('env');
    // an address that names its environment does not wait for the list of environments:
    // the page's own requests go out beside it
    let listing = null;
    if (!envs.length) {
      listing = envsLoading = loadEnvs();
      if (want) { current = want; listing.catch(() => {}); } else await listing;
    }
    if (want && want !== current && envs.some((e) => e.name === want)) setEnv(want);
    document.querySelectorAll('nav a').forEach((a) => {
      a.href = href(a.dataset.nav);
      if (a.dataset.nav === (r.name === 'node' ? 'search' : r.name === 'run' ? 'runs' : r.name)) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    const fn = routes[r.name] || search;
    await Promise.all([fn(r.arg, r.params), listing]);
  } catch (e) {
    failed(e);
  }
  view.dataset.route = location.hash; // the page for this address is drawn (tests wait on it)
  // when the frame that shows it has been painted (the 10,000-model timing reads it)
  const drawnHash = location.hash;
  requestAnimationFrame(() => setTimeout(() => { if (location.hash === drawnHash) window.__siltPaintedAt = performance.now(); }));
}

function failed(e) {
  if (e instanceof api.NeedToken) {
    tokenBox.hidden = false;
    document.getElementById('token-why').textContent =
      `This server needs a service token (${e.message}). Paste one with scope metadata:read; it is kept in this browser only.`;
    fill(view, h('p', { class: 'error', role: 'alert' }, 'A service token is needed to read this server.'));
    document.getElementById('token-input').focus();
    return;
  }
  fill(view, h('p', { class: 'error', role: 'alert' }, e.message || String(e)));
}

// ---- environments ----

// The environments, then (without holding up the page) each one's state for the switcher's
// labels; statesReady resolves when they are in.
let statesReady = Promise.resolve(), envsLoading = Promise.resolve();
async function loadEnvs() {
  const list = await api.all('/environments');
  envs = list.map((e) => ({ ...e, state: undefined }));
  const rank = { production: 0, staging: 1, general: 2, development: 3 };
  envs.sort((a, b) => (rank[a.type] ?? 9) - (rank[b.type] ?? 9) || a.name.localeCompare(b.name));
  clear(envSelect);
  for (const e of envs) envSelect.append(h('option', { value: e.name }, `${e.name} — ${e.type}`));
  if (!envs.length) throw new Error('This store has no environments yet: make one with silt env create NAME --type production.');
  const want = parseHash().params.get('env');
  setEnv(envs.some((e) => e.name === want) ? want : (envs.find((e) => e.type === 'production') || envs[0]).name);
  const mine = envs;
  statesReady = Promise.allSettled(mine.map((e) => api.get('/environments/' + api.enc(e.name) + '/state'))).then(async (states) => {
    if (envs !== mine) return; // reloaded meanwhile
    mine.forEach((e, i) => { e.state = states[i].status === 'fulfilled' ? states[i].value : null; });
    // an environment without a state of its own may hold pull requests' CI runs: say which
    const bare = mine.filter((e) => !e.state);
    const runs = await Promise.allSettled(bare.map((e) => api.get('/runs', { environment: e.name, limit: 100 })));
    bare.forEach((e, i) => {
      const ci = runs[i].status === 'fulfilled' ? runs[i].value.data.filter((r) => r.is_ci && r.pr_id) : [];
      e.ci = ci.length ? { prs: [...new Set(ci.map((r) => r.pr_id))], at: ci[0].created_at } : null;
    });
    if (envs !== mine) return;
    const ago = (t) => when(t).replace(/^.*\((.*)\)$/, '$1');
    [...envSelect.options].forEach((o, i) => {
      const e = mine[i];
      o.textContent = `${e.name} — ${e.type}` + (e.state ? ', updated ' + ago(e.state.generated_at)
        : e.ci ? `, CI of pull request${e.ci.prs.length > 1 ? 's' : ''} ${e.ci.prs.join(', ')}, updated ${ago(e.ci.at)}` : ', nothing built yet');
    });
    setEnv(current);
    envSelect.dataset.states = 'loaded';
  });
}

function setEnv(name) {
  current = name;
  envSelect.value = name;
  const e = envs.find((x) => x.name === name);
  envInfo.textContent = e.state
    ? `${e.type}; state of run #${e.state.definition_run_id}, ${when(e.state.generated_at)}`
    : e.ci ? `${e.type}; pull requests' CI runs only: see Compare`
    : e.state === null ? `${e.type}; nothing built yet` : e.type;
}

envSelect.addEventListener('change', () => {
  const r = parseHash();
  setEnv(envSelect.value);
  const e = envs.find((x) => x.name === current);
  // an environment that only pull requests' CI runs use has nothing but them to show
  if (e && !e.state && e.ci) { go('compare'); return; }
  // a node or run page of one environment means little in another: go to its search
  go(r.name === 'node' || r.name === 'run' ? 'search' : r.name, null, r.name === 'lineage' ? { select: r.params.get('select') || '' } : {});
});

async function envNodes() {
  if (!nodeCache.has(current)) nodeCache.set(current, await api.all('/environments/' + api.enc(current) + '/nodes', {}, 20000));
  return nodeCache.get(current);
}

const envPath = (p = '') => '/environments/' + api.enc(current) + p;

// ---- search ----

async function search(_, params) {
  const q = params.get('q') || '', type = params.get('type') || '', tag = params.get('tag') || '', layer = params.get('layer') || '';
  const mat = params.get('mat') || '', where = params.get('in') || '';
  const nodes = await envNodes();
  const types = [...new Set(nodes.map((n) => n.resource_type))].sort();
  const tags = [...new Set(nodes.flatMap((n) => n.tags || []))].sort();
  const layers = [...new Set(nodes.map((n) => n.layer).filter(Boolean))].sort();
  const mats = [...new Set(nodes.filter((n) => n.resource_type === 'model' || n.resource_type === 'snapshot').map((n) => n.materialized).filter(Boolean))].sort();
  const input = h('input', { id: 'q', type: 'search', value: q, placeholder: 'name, description, tag, column or SQL', autocomplete: 'off' });
  const inSel = h('select', { id: 'f-in' }, h('option', { value: '' }, 'everything'),
    ['name', 'description', 'tags', 'columns', 'sql'].map((o) => h('option', { value: o, selected: o === where }, o === 'sql' ? 'SQL' : o)));
  const sel = (id, label, opts, v) => h('label', { for: id }, label,
    h('select', { id }, h('option', { value: '' }, 'any'), opts.map((o) => h('option', { value: o, selected: o === v }, o))));
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', { for: 'q' }, 'Search nodes', input),
    h('label', { for: 'f-in' }, 'Search in', inSel),
    sel('f-type', 'Resource type', types, type), sel('f-tag', 'Tag', tags, tag), sel('f-layer', 'Layer', layers, layer),
    sel('f-mat', 'Materialization', mats, mat),
    h('button', { type: 'submit' }, 'Search'));
  const submit = (e) => {
    if (e) e.preventDefault();
    go('search', null, { q: input.value, in: inSel.value, type: form.querySelector('#f-type').value, tag: form.querySelector('#f-tag').value, layer: form.querySelector('#f-layer').value, mat: form.querySelector('#f-mat').value });
  };
  form.addEventListener('submit', submit);
  form.querySelectorAll('select').forEach((s) => s.addEventListener('change', submit));

  const base = { resource_type: type, tag, layer, limit: 200 };
  // the server searches names, descriptions, tags, columns and SQL, and says where each hit is
  let found = (await api.get(envPath('/nodes'), { ...base, search: q, search_in: q ? where : '' })).data;
  // name hits first, then tags, descriptions, columns and SQL (each in unique_id order)
  const rank = (n) => Math.min(...(n.matched || ['name']).map((m) => ['name', 'tag', 'description', 'column', 'sql'].indexOf(m.split(':')[0])));
  if (q) found = found.map((n, i) => [rank(n), i, n]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
  if (!type) found = found.filter((n) => n.resource_type !== 'test' || q); // tests only when asked for
  if (mat) found = found.filter((n) => n.materialized === mat && (n.resource_type === 'model' || n.resource_type === 'snapshot'));
  const ul = h('ul', { class: 'results', id: 'results', 'aria-label': 'Search results' },
    found.map((n, i) => h('li', { role: 'option', id: 'res-' + i, 'aria-selected': 'false', 'data-id': n.unique_id },
      badge(n.resource_type), h('strong', {}, n.name), ' ', h('span', { class: 'muted' }, n.unique_id), ' ',
      (n.tags || []).map((t) => h('span', { class: 'tag' }, t)), ' ', status(n.execution && n.execution.last_status),
      n.description ? h('div', { class: 'desc' }, n.description.slice(0, 160)) : null,
      matchedIn(n.matched))));
  const lb = listbox(ul, (i) => go('node', found[i].unique_id));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' && found.length) { e.preventDefault(); ul.focus(); lb.select(0); }
  });
  fill(view, h('h1', {}, 'Search ', h('span', { class: 'muted' }, current)), form,
    h('p', { class: 'muted', id: 'count', role: 'status' }, `${found.length} node${found.length === 1 ? '' : 's'}` +
      (found.length ? ' — ↓ to move through them, Enter to open' : '')),
    ul);
  input.focus();
}

// Where a search hit: "matched in column order_id, tag marts, SQL: `… line …`" (name and
// description hits show already).
function matchedIn(matched) {
  const xs = (matched || []).filter((m) => m !== 'name');
  if (!xs.length) return null;
  return h('div', { class: 'matched' }, 'matched in ', xs.map((m, i) => {
    const k = m.indexOf(':'), kind = k < 0 ? m : m.slice(0, k), what = k < 0 ? '' : m.slice(k + 1);
    return [i ? ', ' : '', kind === 'sql' ? ['SQL ', h('code', {}, what)] : kind === 'column' ? ['column ', h('code', {}, what)] : kind === 'tag' ? ['tag ', h('span', { class: 'tag' }, what)] : kind];
  }));
}

// ---- a node ----

async function nodePage(uid) {
  const [n, hist] = await Promise.all([
    api.get(envPath('/nodes/' + api.enc(uid))),
    api.get(envPath('/nodes/' + api.enc(uid) + '/history'), { limit: 50 }).catch(() => ({ data: [] })),
  ]);
  const def = n.definition || {};
  const testIds = (n.children || []).filter((c) => c.startsWith('test.'));
  const tests = (await Promise.allSettled(testIds.map((t) => api.get(envPath('/nodes/' + api.enc(t))))))
    .filter((r) => r.status === 'fulfilled').map((r) => r.value);
  const colTests = new Map();
  for (const t of tests) {
    const c = (t.definition && (t.definition.column_name || (t.definition.test_metadata && t.definition.test_metadata.kwargs && t.definition.test_metadata.kwargs.column_name))) || null;
    if (!colTests.has(c)) colTests.set(c, []);
    colTests.get(c).push(t);
  }
  const testName = (t) => (t.definition && t.definition.test_metadata && t.definition.test_metadata.name) || t.name;
  const testItem = (t) => h('span', {}, h('a', { href: href('node', t.unique_id) }, testName(t)), ' ', status(t.execution && t.execution.last_status), ' ');
  const ex = n.execution;
  const rel = n.applied_relation
    ? [n.applied_relation.database, n.applied_relation.schema, n.applied_relation.identifier].filter(Boolean).join('.')
    : n.relation_name;
  const owner = (def.meta && def.meta.owner) || (def.config && def.config.meta && def.config.meta.owner) || def.group || null;
  const links = (ids) => ids.length
    ? h('ul', {}, ids.map((id) => h('li', {}, h('a', { href: href('node', id) }, id))))
    : h('p', { class: 'muted' }, 'none');
  const columns = Object.values(def.columns || {});
  fill(view, 
    h('h1', {}, badge(n.resource_type), n.name),
    h('p', {}, h('a', { href: href('lineage', null, { focus: uid }) }, 'Show in the lineage graph')),
    h('dl', { class: 'facts' },
      h('dt', {}, 'unique_id'), h('dd', {}, h('code', {}, n.unique_id)),
      h('dt', {}, 'relation'), h('dd', {}, rel ? h('code', {}, rel) : '—'),
      h('dt', {}, 'materialization'), h('dd', {}, n.materialized || '—'),
      h('dt', {}, 'path'), h('dd', {}, n.path || '—'),
      h('dt', {}, 'layer'), h('dd', {}, n.layer || '—'),
      h('dt', {}, 'tags'), h('dd', {}, (n.tags || []).length ? n.tags.map((t) => h('a', { class: 'tag', href: href('search', null, { tag: t }) }, t)) : '—'),
      h('dt', {}, 'owner'), h('dd', {}, owner || '—'),
      h('dt', {}, 'last run'), h('dd', { id: 'last-run' }, ex
        ? [status(ex.last_status), ' ', when(ex.last_run_at), ' in ', h('a', { href: href('run', ex.last_run_id) }, 'run #' + ex.last_run_id),
          ex.job ? ' (job ' + ex.job + ')' : '', ex.error ? h('div', { class: 'error' }, ex.error) : null]
        : 'never run in this environment'),
      h('dt', {}, 'last success'), h('dd', {}, ex && ex.last_success_at ? when(ex.last_success_at) : '—')),
    h('h2', {}, 'Description'),
    n.description ? markdown(n.description) : h('p', { class: 'muted' }, 'No description.'),
    h('h2', {}, 'Columns'),
    columns.length
      ? h('table', { id: 'columns' }, h('thead', {}, h('tr', {}, h('th', {}, 'column'), h('th', {}, 'type'), h('th', {}, 'description'), h('th', {}, 'tests'))),
        h('tbody', {}, columns.map((c) => h('tr', {}, h('td', {}, h('code', {}, c.name)), h('td', {}, c.data_type || '—'),
          h('td', {}, c.description ? markdown(c.description) : ''), h('td', {}, (colTests.get(c.name) || []).map(testItem))))))
      : h('p', { class: 'muted' }, 'No documented columns.'),
    tests.length ? [h('h2', {}, 'Tests'), h('ul', {}, tests.map((t) => h('li', {}, testItem(t),
      h('span', { class: 'muted' }, colTests.get(null) && colTests.get(null).includes(t) ? '(model)' : '')))), null] : null,
    h('div', { class: 'cols2' },
      h('section', {}, h('h2', {}, 'Parents'), links(n.parents || [])),
      h('section', {}, h('h2', {}, 'Children'), links((n.children || []).filter((c) => !c.startsWith('test.'))))),
    h('h2', {}, 'Run history'),
    durationChart(hist.data),
    hist.data.length
      ? h('table', { id: 'history' }, h('thead', {}, h('tr', {}, h('th', {}, 'run'), h('th', {}, 'status'), h('th', {}, 'started'), h('th', {}, 'took'), h('th', {}, 'message'))),
        h('tbody', {}, hist.data.map((x) => h('tr', {}, h('td', {}, h('a', { href: href('run', x.run_id) }, '#' + x.run_id)), h('td', {}, status(x.status)),
          h('td', {}, when(x.started_at)), h('td', {}, x.execution_time != null ? x.execution_time.toFixed(2) + ' s' : '—'), h('td', {}, x.message || '')))))
      : h('p', { class: 'muted' }, 'No runs yet.'),
    def.raw_code ? [h('h2', {}, 'SQL'), h('pre', { 'aria-label': 'raw SQL', id: 'raw-sql' }, h('code', {}, def.raw_code))] : null,
    def.compiled_code ? [h('h2', {}, 'Compiled SQL'), h('pre', { 'aria-label': 'compiled SQL' }, h('code', {}, def.compiled_code))]
      : (def.raw_code ? h('p', { class: 'muted' }, 'The compiled SQL is not in this environment\'s state.') : null));
  view.focus();
}

// Bars of a node's execution times, oldest on the left, coloured by status.
function durationChart(rows) {
  const xs = rows.filter((x) => x.execution_time != null).slice(0, 50).reverse();
  if (xs.length < 2) return null;
  const NS = 'http://www.w3.org/2000/svg', W = 600, H = 90, bw = Math.max(3, Math.min(24, W / xs.length - 2));
  const max = Math.max(...xs.map((x) => x.execution_time), 1e-6);
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 14}`);
  svg.setAttribute('width', W);
  svg.setAttribute('role', 'img');
  svg.setAttribute('id', 'duration-chart');
  svg.setAttribute('aria-label', `execution time of the last ${xs.length} runs, longest ${max.toFixed(2)} s`);
  xs.forEach((x, i) => {
    const bh = Math.max(1, (x.execution_time / max) * H);
    const r = document.createElementNS(NS, 'rect');
    r.setAttribute('x', i * (bw + 2));
    r.setAttribute('y', H - bh);
    r.setAttribute('width', bw);
    r.setAttribute('height', bh);
    r.setAttribute('fill', x.status === 'success' || x.status === 'pass' ? '#23833f' : x.status === 'error' || x.status === 'fail' ? '#b42318' : '#a15c00');
    const t = document.createElementNS(NS, 'title');
    t.textContent = `run #${x.run_id}: ${x.execution_time.toFixed(2)} s, ${x.status}`;
    r.append(t);
    svg.append(r);
  });
  const label = document.createElementNS(NS, 'text');
  label.setAttribute('x', 0);
  label.setAttribute('y', H + 12);
  label.setAttribute('font-size', 11);
  label.setAttribute('fill', '#5b6475');
  label.textContent = `longest ${max.toFixed(2)} s`;
  svg.append(label);
  return svg;
}

// ---- project health ----

async function health() {
  const [nodes, g, fresh] = await Promise.all([envNodes(), api.get(envPath('/lineage'), { tests: 1 }), api.get(envPath('/freshness'))]);
  const models = nodes.filter((n) => n.resource_type === 'model');
  const tested = new Set();
  const kind = new Map(g.nodes.map((n) => [n.unique_id, n.resource_type]));
  for (const [a, b] of g.edges) if (kind.get(b) === 'test') tested.add(a);
  const documented = models.filter((n) => n.description && n.description.trim());
  const failing = nodes.filter((n) => n.execution && ['error', 'fail'].includes(n.execution.last_status));
  const never = models.filter((n) => !n.execution && n.materialized !== 'ephemeral');
  const day = 24 * 3600 * 1000;
  const stale = models.filter((n) => n.execution && n.execution.last_success_at && Date.now() - new Date(n.execution.last_success_at) > day);
  const pct = (a, b) => (b ? Math.round((100 * a) / b) + '%' : '—');
  const list = (id, xs, empty) => xs.length
    ? h('ul', { id }, xs.map((n) => h('li', {}, h('a', { href: href('node', n.unique_id) }, n.name), ' ', status(n.execution && n.execution.last_status))))
    : h('p', { class: 'muted', id }, empty);
  fill(view,
    h('h1', {}, 'Project health ', h('span', { class: 'muted' }, current)),
    h('dl', { class: 'facts', id: 'health' },
      h('dt', {}, 'models documented'), h('dd', {}, `${documented.length} of ${models.length} (${pct(documented.length, models.length)})`),
      h('dt', {}, 'models tested'), h('dd', {}, `${models.filter((n) => tested.has(n.unique_id)).length} of ${models.length} (${pct(models.filter((n) => tested.has(n.unique_id)).length, models.length)})`),
      h('dt', {}, 'failing now'), h('dd', {}, String(failing.length)),
      h('dt', {}, 'models never built'), h('dd', {}, String(never.length)),
      h('dt', {}, 'no success in 24 h'), h('dd', {}, String(stale.length)),
      h('dt', {}, 'sources out of freshness'), h('dd', {}, fresh.data.length
        ? `${fresh.data.filter((x) => x.status !== 'pass').length} of ${fresh.data.length} checked` : 'no freshness check recorded')),
    h('h2', {}, 'Failing (last run errored or failed)'), list('failing', failing, 'Nothing is failing.'),
    h('h2', {}, 'Models without a description'), list('undocumented', models.filter((n) => !documented.includes(n)), 'Every model has a description.'),
    h('h2', {}, 'Models without tests'), list('untested', models.filter((n) => !tested.has(n.unique_id)), 'Every model has a test.'),
    h('h2', {}, 'Stale: no success in 24 h'), list('stale', stale, 'Every built model succeeded in the last 24 h.'),
    h('h2', {}, 'Sources out of freshness'), freshness(fresh.data));
}

// Each source's latest freshness check that did not pass (warn, error, runtime error), oldest
// data first, with how old it was and the rule it broke.
function freshness(rows) {
  if (!rows.length) return h('p', { class: 'muted', id: 'freshness' }, 'No freshness check recorded: run silt source freshness in a job of this environment.');
  const bad = rows.filter((x) => x.status !== 'pass').sort((a, b) => (b.max_loaded_at_time_ago_in_s || 0) - (a.max_loaded_at_time_ago_in_s || 0));
  const age = (s) => s == null ? '—' : s >= 86400 ? Math.round(s / 86400) + ' days' : s >= 3600 ? Math.round(s / 3600) + ' h' : Math.round(s / 60) + ' min';
  const rule = (c) => ['warn_after', 'error_after'].filter((k) => c && c[k] && c[k].count != null).map((k) => `${k.replace('_', ' ')} ${c[k].count} ${c[k].period}${c[k].count === 1 ? '' : 's'}`).join(', ');
  if (!bad.length) return h('p', { class: 'muted', id: 'freshness' }, `All ${rows.length} checked sources are fresh.`);
  return h('table', { id: 'freshness' }, h('thead', {}, h('tr', {}, ['source', 'status', 'data as of', 'age', 'rule', 'checked'].map((x) => h('th', {}, x)))),
    h('tbody', {}, bad.map((x) => h('tr', {},
      h('td', {}, h('a', { href: href('node', x.unique_id) }, x.source_name && x.name ? x.source_name + '.' + x.name : x.unique_id)),
      h('td', {}, status(x.status)), h('td', {}, x.max_loaded_at ? when(x.max_loaded_at) : '—'),
      h('td', {}, age(x.max_loaded_at_time_ago_in_s)), h('td', {}, rule(x.criteria) || (x.error || '')),
      h('td', {}, x.checked_at ? [when(x.checked_at), ' in ', h('a', { href: href('run', x.run_id) }, 'run #' + x.run_id)] : '—')))));
}

// ---- lineage ----

// The last lineage answers, so a change of focus, direction or depth does not fetch a large DAG
// again; kept 30 s (a reload or another environment always asks the server).
const lineageCache = new Map();
async function lineageOf(select, withTests, focus) {
  const key = current + '\0' + select + '\0' + (withTests ? 1 : 0) + '\0' + JSON.stringify(focus || null);
  const hit = lineageCache.get(key);
  if (hit && performance.now() - hit.at < 30000) return hit.g;
  const g = await api.get(envPath('/lineage'), { select, tests: withTests ? 1 : undefined, ...(focus || {}) });
  if (lineageCache.size > 8) lineageCache.clear();
  lineageCache.set(key, { g, at: performance.now() });
  return g;
}

const MAX_DRAWN = 250; // nodes drawn at once (a focus's neighbourhood is cut to it by depth)

async function lineage(_, params) {
  const select = params.get('select') || '', focus = params.get('focus') || '';
  const dir = params.get('dir') || 'both', depth = Math.max(1, Math.min(20, +(params.get('depth') || 2)));
  const withTests = params.get('tests') === '1';
  const t0 = performance.now();
  // A focus without a selector asks the server for its neighbourhood only, already cut to
  // MAX_DRAWN nodes (less deep, then the nearest), not the whole DAG.
  const g = focus && !select
    ? await lineageOf('', withTests, { focus, dir, depth, max: MAX_DRAWN })
    : await lineageOf(select, withTests);
  const tReq = performance.now();
  let nodes = g.nodes, edges = g.edges;
  let note = '';
  const describe = (d, all) => `${dir === 'both' ? 'up- and downstream' : dir} of the focused node, ${d} step${d > 1 ? 's' : ''} deep` +
    (d < depth ? ` (not ${depth}: that would draw over ${MAX_DRAWN} nodes)` : '') +
    (all > MAX_DRAWN ? `; ${MAX_DRAWN} of its ${all} neighbours drawn` : '');
  if (g.focus) {
    note = describe(g.focus.depth, g.focus.total);
  } else if (focus && nodes.some((n) => n.unique_id === focus)) {
    // a hub's neighbourhood can be thousands of nodes: draw at most MAX_DRAWN, less deep if need be
    let d = depth, keep = neighbourhood(edges, focus, dir, d);
    while (keep.size > MAX_DRAWN && d > 1) keep = neighbourhood(edges, focus, dir, --d);
    const all = keep.size;
    if (all > MAX_DRAWN) keep = new Set([...keep].slice(0, MAX_DRAWN)); // the walk's order: nearest first
    nodes = nodes.filter((n) => keep.has(n.unique_id));
    edges = edges.filter(([a, b]) => keep.has(a) && keep.has(b));
    note = describe(d, all);
  } else if (nodes.length > MAX_DRAWN) {
    // a whole large DAG is no picture: show the neighbourhood of the most connected node
    const deg = new Map();
    for (const [a, b] of edges) { deg.set(a, (deg.get(a) || 0) + 1); deg.set(b, (deg.get(b) || 0) + 1); }
    const hub = [...deg.entries()].sort((x, y) => y[1] - x[1])[0];
    if (hub) {
      let d = depth, keep = neighbourhood(edges, hub[0], 'both', d);
      while (keep.size > MAX_DRAWN && d > 1) keep = neighbourhood(edges, hub[0], 'both', --d);
      note = `${nodes.length} nodes match; showing ${keep.size} around ${hub[0]} — pick one in the list to focus`;
      nodes = nodes.filter((n) => keep.has(n.unique_id));
      edges = edges.filter(([a, b]) => keep.has(a) && keep.has(b));
    }
  }
  const selInput = h('input', { id: 'selector', type: 'text', value: select, placeholder: '+orders+, tag:finance, path:marts' });
  const dirSel = h('select', { id: 'dir' }, ['both', 'upstream', 'downstream'].map((d) => h('option', { value: d, selected: d === dir }, d)));
  const depthIn = h('input', { id: 'depth', type: 'number', min: 1, max: 20, value: depth, style: 'width:5em' });
  const testsBox = h('input', { id: 'tests', type: 'checkbox', checked: withTests });
  const form = h('form', { class: 'filters' },
    h('label', { for: 'selector' }, 'Selector', selInput),
    h('label', { for: 'dir' }, 'Around the focus', dirSel),
    h('label', { for: 'depth' }, 'Depth', depthIn),
    h('label', { for: 'tests' }, 'Tests', testsBox),
    h('button', { type: 'submit' }, 'Show'),
    focus ? h('button', { type: 'button', id: 'unfocus', onclick: () => go('lineage', null, { select: selInput.value }) }, 'Clear focus') : null);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go('lineage', null, { select: selInput.value, focus, dir: dirSel.value, depth: depthIn.value, tests: testsBox.checked ? 1 : '' });
  });
  const setFocus = (id) => go('lineage', null, { select, focus: id, dir, depth, tests: withTests ? 1 : '' });
  const box = h('div', { class: 'graph', id: 'graph' });
  const sorted = [...nodes].sort((a, b) => a.name.localeCompare(b.name) || a.unique_id.localeCompare(b.unique_id));
  const list = h('ul', { id: 'nodelist', 'aria-label': 'Nodes in the graph: arrows to move, Enter to focus' },
    sorted.map((n, i) => h('li', { role: 'option', id: 'gn-' + i, 'aria-selected': 'false', 'data-id': n.unique_id },
      h('span', { class: 'swatch', style: 'background:' + colorOf(n.resource_type) }), n.name, ' ', h('span', { class: 'muted' }, n.resource_type),
      n.status ? [' ', status(n.status)] : null)));
  const types = [...new Set(nodes.map((n) => n.resource_type))].sort();
  const focused = nodes.find((n) => n.unique_id === focus);
  fill(view, 
    h('h1', {}, 'Lineage ', h('span', { class: 'muted' }, current)), form,
    h('p', { role: 'status', id: 'lineage-status' }, `${nodes.length} nodes, ${edges.length} edges` + (note ? ' — ' + note : ''),
      focused ? [' — focus: ', h('a', { href: href('node', focus) }, focused.name)] : null),
    h('div', { class: 'legend' }, types.map((t) => h('span', {}, h('span', { class: 'swatch', style: 'background:' + colorOf(t) }), t)),
      h('span', {}, 'dot: last run status; dashed red border: failed')),
    h('div', { class: 'lineage' }, h('div', {}, box), h('div', { class: 'nodelist' }, list)));
  const tDom = performance.now();
  const gfx = draw(box, nodes, edges, { focus, onPick: setFocus });
  const tDraw = performance.now();
  const zoom = h('div', { class: 'zoom' },
    h('button', { type: 'button', 'aria-label': 'Zoom in', onclick: () => gfx.zoom(1.25) }, '+'),
    h('button', { type: 'button', 'aria-label': 'Zoom out', onclick: () => gfx.zoom(0.8) }, '−'),
    h('button', { type: 'button', onclick: () => gfx.fit() }, 'Fit'));
  box.append(zoom);
  if (focus) gfx.center(focus);
  const lb = listbox(list, (i) => setFocus(sorted[i].unique_id), (i) => {
    box.querySelectorAll('.node.cursor').forEach((x) => x.classList.remove('cursor'));
    const gnode = box.querySelector(`.node[data-id="${CSS.escape(sorted[i].unique_id)}"]`);
    if (gnode) gnode.classList.add('cursor');
    gfx.center(sorted[i].unique_id);
  });
  if (focus) { const i = sorted.findIndex((n) => n.unique_id === focus); if (i >= 0) lb.select(i); }
  window.__siltLineageMs = performance.now() - t0;
  // where the time went: the request, the page around the graph, the graph, the list's focus
  window.__siltLineageParts = { request: tReq - t0, page: tDom - tReq, graph: tDraw - tDom, rest: performance.now() - tDraw };
  box.dataset.renderMs = window.__siltLineageMs.toFixed(1);
}

// ---- compare: what an environment or a pull request changes against another ----

const CHANGES = { modified: 'modified', new: 'new', removed: 'removed' };

async function compare(_, params) {
  await envsLoading;
  await statesReady;
  const others = envs.filter((e) => e.name !== current);
  const prod = envs.find((e) => e.type === 'production');
  const base = params.get('base') || (prod && prod.name !== current ? prod.name : (others[0] || {}).name) || current;
  const pr = params.get('pr') || '';
  // the pull requests whose CI runs in this environment kept a manifest (the API says which)
  const ciRuns = (await api.get('/runs', { environment: current, limit: 100 })).data.filter((r) => r.is_ci && r.pr_id);
  const prs = [...new Set(ciRuns.map((r) => r.pr_id))];
  const me = envs.find((e) => e.name === current);
  const head = pr || (me && me.state ? '' : prs[0] || '');
  const baseSel = h('select', { id: 'cmp-base' }, envs.map((e) => h('option', { value: e.name, selected: e.name === base }, `${e.name} — ${e.type}`)));
  const headSel = h('select', { id: 'cmp-pr' },
    me && me.state ? h('option', { value: '' }, 'the environment\'s own state') : null,
    prs.map((p) => h('option', { value: p, selected: p === head }, 'pull request ' + p)));
  const withTests = params.get('tests') === '1';
  const testsBox = h('input', { id: 'cmp-tests', type: 'checkbox', checked: withTests });
  const form = h('form', { class: 'filters' },
    h('label', { for: 'cmp-pr' }, 'Compare', headSel),
    h('label', { for: 'cmp-base' }, 'With', baseSel),
    h('label', { for: 'cmp-tests' }, 'Tests', testsBox),
    h('button', { type: 'submit' }, 'Compare'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go('compare', null, { base: baseSel.value, pr: headSel.value, tests: testsBox.checked ? 1 : '' });
  });
  if (!me || (!me.state && !prs.length)) {
    fill(view, h('h1', {}, 'Compare ', h('span', { class: 'muted' }, current)), form,
      h('p', { class: 'muted', id: 'cmp-summary' }, `${current} has no state of its own and no pull request's CI run: nothing to compare.`));
    return;
  }
  const d = await api.get(envPath('/compare'), { base, pr: head || undefined, tests: withTests ? 1 : undefined });
  const what = d.head.source === 'ci_run'
    ? `pull request ${d.head.pr} (CI run #${d.head.run_id}${d.head.git_sha ? ', commit ' + d.head.git_sha.slice(0, 12) : ''}, ${when(d.head.generated_at)})`
    : `${current}'s state (run #${d.head.run_id}, ${when(d.head.generated_at)})`;
  // a node page: the head's own when it has one, else the base's
  const nodeLink = (n) => n.change === 'new' && d.head.source === 'ci_run'
    ? h('span', {}, n.name)
    : h('a', { href: href('node', n.unique_id, { env: n.change === 'removed' || d.head.source === 'ci_run' ? d.base.environment : current }) }, n.name);
  const list = (kind) => h('section', {},
    h('h2', {}, h('span', { class: 'swatch ch-' + kind }), `${CHANGES[kind]} (${d[kind].length})`),
    d[kind].length
      ? h('ul', { id: 'cmp-' + kind }, d[kind].map((n) => h('li', { 'data-id': n.unique_id }, badge(n.resource_type), nodeLink(n), ' ',
        h('span', { class: 'muted' }, n.unique_id), n.reason === 'macros' ? h('span', { class: 'muted' }, ' — through a changed macro') : null)))
      : h('p', { class: 'muted', id: 'cmp-' + kind }, 'none'));
  const box = h('div', { class: 'graph', id: 'graph' });
  const changed = d.modified.length + d.new.length + d.removed.length;
  // a large change is no picture: at most MAX_DRAWN changed nodes, without their neighbours
  let gNodes = d.nodes, gEdges = d.edges, gNote = null;
  if (gNodes.length > MAX_DRAWN) {
    const keep = new Set(gNodes.filter((n) => n.change).slice(0, MAX_DRAWN).map((n) => n.unique_id));
    gNodes = gNodes.filter((n) => keep.has(n.unique_id));
    gEdges = gEdges.filter(([a, b]) => keep.has(a) && keep.has(b));
    gNote = h('p', { class: 'muted', id: 'cmp-cut' }, `The graph shows ${gNodes.length} of the ${changed} changed nodes, without their parents and children; the lists below have them all.`);
  }
  fill(view,
    h('h1', {}, 'Compare ', h('span', { class: 'muted' }, current)), form,
    h('p', { role: 'status', id: 'cmp-summary' }, `${what} against what ${d.base.environment} has: `,
      `${d.counts.modified} modified, ${d.counts.new} new, ${d.counts.removed} removed`,
      d.macros_compared ? '' : ` (${d.base.environment} kept no macros: macro changes are not seen)`),
    h('div', { class: 'legend', id: 'cmp-legend' },
      Object.keys(CHANGES).map((k) => h('span', {}, h('span', { class: 'swatch ch-' + k }), CHANGES[k])),
      h('span', {}, 'plain: a parent or child of a change, unchanged')),
    gNote, changed ? h('div', {}, box) : h('p', { class: 'muted' }, 'Nothing differs.'),
    h('div', { class: 'cols3' }, list('modified'), list('new'), list('removed')));
  if (changed) {
    const gfx = draw(box, gNodes, gEdges, { onPick: (id) => {
      const n = d.nodes.find((x) => x.unique_id === id);
      if (n && !(n.change === 'new' && d.head.source === 'ci_run')) go('node', id, { env: n.change === 'removed' || d.head.source === 'ci_run' ? d.base.environment : current });
    } });
    box.append(h('div', { class: 'zoom' },
      h('button', { type: 'button', 'aria-label': 'Zoom in', onclick: () => gfx.zoom(1.25) }, '+'),
      h('button', { type: 'button', 'aria-label': 'Zoom out', onclick: () => gfx.zoom(0.8) }, '−'),
      h('button', { type: 'button', onclick: () => gfx.fit() }, 'Fit')));
  }
}

// ---- runs ----

async function runs(_, params) {
  const all = params.get('all') === '1';
  const list = (await api.get('/runs', { environment: all ? undefined : current, limit: 100 })).data;
  fill(view, 
    h('h1', {}, 'Runs ', h('span', { class: 'muted' }, all ? 'all environments' : current)),
    h('p', {}, all ? h('a', { href: href('runs') }, 'Only ' + current) : h('a', { href: href('runs', null, { all: 1 }) }, 'All environments')),
    list.length
      ? h('table', { id: 'runs' }, h('thead', {}, h('tr', {}, ['run', 'environment', 'job', 'status', 'trigger', 'command', 'started', 'took'].map((x) => h('th', {}, x)))),
        h('tbody', {}, list.map((r) => h('tr', {},
          h('td', {}, h('a', { href: href('run', r.id, { env: r.environment || current }) }, '#' + r.id)), h('td', {}, r.environment || '—'), h('td', {}, r.job || '—'),
          h('td', {}, status(r.status)), h('td', {}, r.trigger + (r.pr_id ? ' (PR ' + r.pr_id + ')' : '')),
          h('td', {}, r.command ? h('code', {}, r.command) : '—'), h('td', {}, when(r.started_at || r.created_at)), h('td', {}, duration(r.started_at, r.finished_at))))))
      : h('p', { class: 'muted' }, 'No runs yet.'));
}

async function runPage(id, params) {
  const step = params.get('step') || '';
  const r0 = await api.get('/runs/' + api.enc(id));
  const live = r0.status === 'queued' || r0.status === 'running';
  const [r, steps, logs, arts] = await Promise.all([
    r0, api.get('/runs/' + api.enc(id) + '/steps'),
    live ? '' : api.text('/runs/' + api.enc(id) + '/logs', { step }),
    api.get('/runs/' + api.enc(id) + '/artifacts').catch(() => ({ data: [] })),
  ]);
  // the nodes it touched: every run_results.json it recorded (its own, or each step's)
  const results = [];
  for (const a of arts.data.filter((x) => x.path === 'run_results.json')) {
    try {
      const rr = await api.get('/runs/' + api.enc(id) + '/artifacts/run_results.json', { step_id: a.step_id ?? undefined });
      for (const x of rr.results || []) results.push({ ...x, step_id: a.step_id });
    } catch (e) { if (e instanceof api.NeedToken) throw e; }
  }
  const stepPos = new Map(steps.data.map((s) => [s.id, s.position]));
  fill(view, 
    h('h1', {}, 'Run #' + r.id, ' ', status(r.status)),
    h('dl', { class: 'facts' },
      h('dt', {}, 'environment'), h('dd', {}, r.environment || '—'),
      h('dt', {}, 'job'), h('dd', {}, r.job || '—'),
      h('dt', {}, 'trigger'), h('dd', {}, r.trigger + (r.pr_id ? ' (PR ' + r.pr_id + ')' : '')),
      h('dt', {}, 'command'), h('dd', {}, r.command ? h('code', {}, r.command) : '—'),
      h('dt', {}, 'commit'), h('dd', {}, [r.git_branch, r.git_sha].filter(Boolean).join(' @ ') || '—'),
      h('dt', {}, 'queued'), h('dd', {}, when(r.created_at)),
      h('dt', {}, 'took'), h('dd', {}, duration(r.started_at, r.finished_at)),
      r.message ? [h('dt', {}, 'message'), h('dd', {}, r.message)] : null),
    h('h2', {}, 'Steps'),
    steps.data.length
      ? h('table', { id: 'steps' }, h('thead', {}, h('tr', {}, ['#', 'command', 'status', 'exit', 'took', 'logs'].map((x) => h('th', {}, x)))),
        h('tbody', {}, steps.data.map((s) => h('tr', {}, h('td', {}, s.position), h('td', {}, h('code', {}, s.command)), h('td', {}, status(s.status)),
          h('td', {}, s.exit_code ?? '—'), h('td', {}, duration(s.started_at, s.finished_at)),
          h('td', {}, h('a', { href: href('run', r.id, { step: s.position }), class: 'step-logs' }, 'logs of step ' + s.position))))))
      : h('p', { class: 'muted' }, 'This run recorded no steps (a command run by hand).'),
    h('h2', {}, 'Nodes this run touched'),
    results.length
      ? h('table', { id: 'run-nodes' }, h('thead', {}, h('tr', {}, ['node', 'status', 'took', 'step', 'message'].map((x) => h('th', {}, x)))),
        h('tbody', {}, results.map((x) => h('tr', {},
          h('td', {}, h('a', { href: href('node', x.unique_id, { env: r.environment || current }) }, x.unique_id)), h('td', {}, status(x.status)),
          h('td', {}, x.execution_time != null ? x.execution_time.toFixed(2) + ' s' : '—'),
          h('td', {}, x.step_id != null ? String(stepPos.get(x.step_id) ?? '') : '—'), h('td', {}, x.message || '')))))
      : h('p', { class: 'muted' }, 'This run recorded no results.'),
    h('h2', { id: 'logs-title' }, step ? 'Logs of step ' + step : 'Logs', step ? [' ', h('a', { href: href('run', r.id) }, '(all steps)')] : null,
      live ? h('span', { class: 'live', id: 'live' }, ' live') : null),
    logs || live ? h('pre', { class: 'logs', id: 'logs', 'aria-labelledby': 'logs-title', tabindex: 0 }, logs) : h('p', { class: 'muted' }, 'No logs.'));
  if (live) followRun(r, step);
}

// A running run's page follows its Server-Sent Events: each step's header and log lines are
// appended as they come, step and run statuses change in place, and when the run ends the page
// is drawn again from the API (its results and artifacts are complete then).
function followRun(r, step) {
  const pre = document.getElementById('logs');
  const rows = new Map([...view.querySelectorAll('#steps tbody tr')].map((tr) => [+tr.cells[0].textContent, tr]));
  const headed = new Set();
  let last = 0;
  window.__siltLiveEvents = 0;
  stopLive = api.stream('/runs/' + api.enc(r.id) + '/logs/stream', (name, data) => {
    window.__siltLiveEvents++;
    if (name === 'step') {
      const tr = rows.get(data.position);
      if (tr) tr.cells[2].replaceChildren(status(data.status));
      const runStatus = view.querySelector('h1 [class^="status-"]');
      if (runStatus && data.status === 'running') runStatus.replaceWith(status('running'));
    } else if (name === 'log') {
      if (step && String(data.position) !== step) return;
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      let text = data.text;
      if (!step && !headed.has(data.position)) {
        const tr = rows.get(data.position);
        text = (last ? '\n' : '') + `== step ${data.position}: ${tr ? tr.cells[1].textContent : ''}\n` + text;
        headed.add(data.position);
      }
      last = data.position;
      pre.append(text);
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    } else if (name === 'run') {
      stopLive = null;
      const live = document.getElementById('live');
      if (live) live.textContent = ' — the run ended: ' + data.status;
      setTimeout(() => { if (parseHash().name === 'run' && parseHash().arg === String(r.id)) route(); }, 300);
    } else if (name === 'error') {
      const live = document.getElementById('live');
      if (live) live.textContent = ' — ' + data.message;
    }
  });
}

// ---- the token form ----

document.getElementById('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('token-input');
  api.setToken(input.value.trim());
  input.value = '';
  tokenBox.hidden = true;
  envs = [];
  nodeCache.clear();
  lineageCache.clear();
  route();
});
document.getElementById('token-forget').addEventListener('click', () => {
  api.setToken(null);
  envs = [];
  nodeCache.clear();
  lineageCache.clear();
  route();
});

window.addEventListener('hashchange', route);
route();
