// Times the lineage page on the 10,000-model environment bench-10000.sh serves: the first
// render with a focus (the page's API calls included), then changes of focus. Best of three.
import { chromium } from 'playwright-core';

const [url, exe] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const drawn = () => page.waitForFunction(() => document.getElementById('view').dataset.route === location.hash, null, { timeout: 120000 });
const count = await (await fetch(url + '/api/v1/environments/prod/state')).json();
console.log(`environment prod: ${JSON.stringify(count.counts)}`);
let t0 = performance.now();
const g = await (await fetch(url + '/api/v1/environments/prod/lineage')).json();
console.log(`API lineage of ${g.nodes.length} nodes, ${g.edges.length} edges: ${(performance.now() - t0).toFixed(0)} ms (from node)`);
const models = g.nodes.filter((n) => n.resource_type === 'model').map((n) => n.unique_id);
const best = (xs) => Math.min(...xs).toFixed(1) + ' ms (rounds: ' + xs.map((x) => x.toFixed(0)).join(', ') + ')';
const firstPaint = [], clickPaint = [];
const first = [], inPage = [], change = [], shownCounts = [], changeApi = [], changeIn = [], parts = [];
for (let round = 0; round < 3; round++) {
  const focus = models[Math.floor(models.length / 2) + round];
  await page.goto('about:blank'); // each round a cold page: nothing cached
  t0 = performance.now();
  await page.goto(url + '/#/lineage?env=prod&focus=' + encodeURIComponent(focus));
  await drawn();
  first.push(performance.now() - t0);
  await page.waitForFunction(() => window.__siltPaintedAt);
  firstPaint.push(await page.evaluate(() => window.__siltPaintedAt));
  inPage.push(await page.evaluate(() => window.__siltLineageMs));
  if (round === 2) console.log('first render, what the page fetched (start-end ms from navigation): ' + await page.evaluate(() =>
    [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
      .map((r) => `${r.name.replace(/^https?:\/\/[^/]+/, '').slice(0, 60)} ${r.startTime.toFixed(0)}-${r.responseEnd.toFixed(0)}`).join(', ') +
    `; drawn at ${(performance.now()).toFixed(0)}`));
  // a change of focus: a click on another node of the graph
  const other = await page.locator('#graph .node:not(.focus)').first().getAttribute('data-id');
  // timed in the page: from the click to the painted frame that shows the new focus
  clickPaint.push(await page.evaluate((id) => new Promise((res) => {
    delete window.__siltPaintedAt;
    const t = performance.now();
    document.querySelector(`#graph .node[data-id="${CSS.escape(id)}"] rect`).dispatchEvent(new MouseEvent('click', { bubbles: true }));
    const poll = () => (window.__siltPaintedAt && location.hash.includes(encodeURIComponent(id)) ? res(window.__siltPaintedAt - t) : setTimeout(poll, 1));
    poll();
  }), other));
  await drawn();
  await page.goto(url + '/#/lineage?env=prod&focus=' + encodeURIComponent(focus));
  await drawn();
  t0 = performance.now();
  await page.locator(`#graph .node[data-id="${other}"]`).click();
  await page.waitForFunction((id) => location.hash.includes(encodeURIComponent(id)), other);
  await drawn();
  change.push(performance.now() - t0);
  shownCounts.push(await page.locator('#graph .node').count());
  changeIn.push(await page.evaluate(() => window.__siltLineageMs));
  parts.push(await page.evaluate(() => window.__siltLineageParts));
  changeApi.push(await page.evaluate(() => {
    const rs = performance.getEntriesByType('resource').filter((r) => r.name.includes('/lineage'));
    return rs.length ? rs[rs.length - 1].duration : NaN;
  }));
}
console.log(`first render with a focus (page load, environments, lineage, layout, draw): best ${best(first)}; ` +
            `of which lineage request + draw ${best(inPage)}`);
console.log(`focus change (click to drawn; ${shownCounts.join(', ')} nodes shown): best ${best(change)}; ` +
            `of which the neighbourhood request ${best(changeApi)}, ` +
            `request + walk + layout + draw ${best(changeIn)}`);
console.log(`in the page, to the painted frame: first render (from navigation start) best ${best(firstPaint)}; ` +
            `focus change (click to painted) best ${best(clickPaint)}`);
console.log('focus change, in the page (ms): ' + parts.map((p) => Object.entries(p).map(([k, v]) => k + ' ' + v.toFixed(0)).join(', ')).join(' | '));
await browser.close();
