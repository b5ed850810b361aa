// The Explorer reads only silt serve's API (docs/internals/serve.md). A service token pasted
// by the user is kept in localStorage and sent as `Authorization: Bearer`; a 401 raises
// NeedToken so the page can ask for one.
const KEY = 'silt.token';

export class NeedToken extends Error {}
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() { return localStorage.getItem(KEY); }
export function setToken(t) { if (t) localStorage.setItem(KEY, t); else localStorage.removeItem(KEY); }

async function call(path, params, as) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {}))
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const url = '/api/v1' + path + (q.toString() ? '?' + q : '');
  const headers = {};
  const t = token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const r = await fetch(url, { headers, cache: 'no-store' });
  if (r.status === 401) {
    let msg = 'this server needs a service token';
    try { msg = (await r.json()).error.message; } catch (e) { /* not JSON */ }
    throw new NeedToken(msg);
  }
  if (!r.ok) {
    let code = 'http_' + r.status, msg = r.statusText;
    try { const e = (await r.json()).error; code = e.code; msg = e.message; } catch (e) { /* not JSON */ }
    throw new ApiError(r.status, code, msg);
  }
  return as === 'text' ? r.text() : r.json();
}

export const get = (path, params) => call(path, params, 'json');
export const text = (path, params) => call(path, params, 'text');
export const enc = encodeURIComponent;

// Every page of a paged list (at most `max` items).
export async function all(path, params, max = 2000) {
  const out = [];
  let cursor = null;
  do {
    const page = await get(path, { ...params, limit: 500, cursor });
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}

// A run's Server-Sent Events (GET /runs/{id}/logs/stream): on(event, data) for each `step`,
// `log` and `run` event until the run ends; returns a function that stops listening. With no
// token an EventSource reads them; a token cannot go in an EventSource's headers, so then the
// stream is read through fetch and the events are split here.
export function stream(path, on) {
  const url = '/api/v1' + path;
  const t = token();
  if (!t) {
    const es = new EventSource(url);
    for (const name of ['step', 'log', 'run', 'error'])
      es.addEventListener(name, (e) => {
        if (name === 'error' && !e.data) { es.close(); on('error', { message: 'the log stream was cut' }); return; }
        const data = JSON.parse(e.data);
        if (name === 'run' || name === 'error') es.close(); // else EventSource would reconnect
        on(name, data);
      });
    return () => es.close();
  }
  const ctl = new AbortController();
  (async () => {
    const r = await fetch(url, { headers: { Authorization: 'Bearer ' + t }, signal: ctl.signal });
    if (!r.ok) { on('error', { message: 'the log stream answered ' + r.status }); return; }
    const rd = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await rd.read();
      if (done) break;
      buf += value;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let name = 'message', data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) name = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data) on(name, JSON.parse(data));
      }
    }
  })().catch((e) => { if (e.name !== 'AbortError') on('error', { message: String(e.message || e) }); });
  return () => ctl.abort();
}
