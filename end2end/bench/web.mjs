// Page weight and time to interactive, measured in headless Chromium on
// loopback (run by scripts/bench-web, which starts the servers).
//
//   node bench/web.mjs --nexos http://127.0.0.1:PORT --minimal http://127.0.0.1:PORT [--runs 10] [--json out.json]
//
// Every load is cold: a new browser context (empty cache) that only carries
// the session cookie of admin@demo.msp. For each page it records every
// wasm/JS/CSS response: the bytes on the wire (the body as served, brotli or
// gzip) and the decoded bytes; and the time from navigation start to the
// hydrated marker (`data-hydrated` on <body>, set by the shell once Leptos
// has hydrated), and on a PO page to the signature pad being ready to draw
// on (`data-ready` on its canvas). Prints a markdown section to stdout.

import { chromium } from '@playwright/test';
import { writeFileSync } from 'node:fs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]?.startsWith('--') ? 'true' : (all[i + 1] ?? 'true')]] : acc), []),
);
const NEXOS = args.nexos;
const MINIMAL = args.minimal;
const RUNS = Number(args.runs ?? 10);
const TARGET_RATIO = 1.6;
if (!NEXOS || !MINIMAL) {
  console.error('usage: node bench/web.mjs --nexos URL --minimal URL [--runs N] [--json FILE]');
  process.exit(2);
}

const LAUNCH = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
};

// Records, relative to navigation start (performance.now()), when the page
// became hydrated and when the signature pad became ready.
const MARKERS = () => {
  const marks = {};
  window.__benchMarks = marks;
  const check = () => {
    if (!marks.hydrated && document.body?.getAttribute('data-hydrated') === 'true') marks.hydrated = performance.now();
    if (!marks.pad && document.querySelector('canvas[data-testid="signature-pad"][data-ready="true"]')) marks.pad = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated', 'data-ready'] });
};

const kindOf = (url) => {
  const path = new URL(url).pathname;
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.js') || path.endsWith('.mjs')) return 'js';
  if (path.endsWith('.css')) return 'css';
  return null;
};

/** One cold load of `url`; resolves to {assets, hydrated, pad}. */
async function coldLoad(browser, url, { storageState, waitPad = false }) {
  const context = await browser.newContext({ storageState });
  await context.addInitScript(MARKERS);
  const page = await context.newPage();
  const pending = [];
  page.on('response', (res) => {
    const kind = kindOf(res.url());
    if (!kind || res.status() !== 200) return;
    pending.push(
      (async () => {
        const body = await res.body();
        const sizes = await res.request().sizes();
        const headers = await res.allHeaders();
        return {
          kind,
          name: new URL(res.url()).pathname.split('/').pop(),
          decoded: body.length,
          transferred: sizes.responseBodySize,
          encoding: headers['content-encoding'] ?? 'identity',
          cacheControl: headers['cache-control'] ?? '',
        };
      })(),
    );
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response || response.status() !== 200) throw new Error(`${url} answered ${response?.status()}`);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.waitForFunction(() => window.__benchMarks?.hydrated, null, { timeout: 30_000 });
    if (waitPad) await page.waitForFunction(() => window.__benchMarks?.pad, null, { timeout: 30_000 });
  } catch (e) {
    throw new Error(`${url} (now ${page.url()}) did not become interactive: ${e.message}; page errors: ${errors.join('; ') || 'none'}`);
  }
  // Lazily loaded chunks a hydrated page asks for come within a moment.
  await page.waitForLoadState('networkidle');
  const marks = await page.evaluate(() => window.__benchMarks);
  const assets = await Promise.all(pending);
  await context.close();
  return { assets, hydrated: marks.hydrated, pad: marks.pad };
}

async function signedInState(browser, base) {
  const context = await browser.newContext();
  const res = await context.request.post(`${base}/api/auth/login`, { data: { email: 'admin@demo.msp', password: 'demo-password' } });
  if (res.status() !== 200) throw new Error(`sign-in answered ${res.status()}: ${await res.text()}`);
  const state = await context.storageState();
  await context.close();
  return state;
}

async function api(request, base, endpoint, data) {
  const res = await request.post(`${base}/api/${endpoint}`, { data });
  if (res.status() !== 200) throw new Error(`${endpoint} answered ${res.status()}: ${await res.text()}`);
  return res.json();
}

/** A PO pending approval (one from the demo, or a new one over the limit). */
async function pendingPo(browser, storageState) {
  const context = await browser.newContext({ storageState });
  const r = context.request;
  await api(r, NEXOS, 'settings/update', { require_signature: true });
  let po = (await api(r, NEXOS, 'purchase-orders/list', { status: 'pending_approval', limit: 1 })).items[0];
  if (!po) {
    const vendor = (await api(r, NEXOS, 'vendors/list', {}))[0];
    const company = (await api(r, NEXOS, 'companies/list', {}))[0];
    po = await api(r, NEXOS, 'purchase-orders/create', {
      vendor_id: vendor.id,
      company_id: company.id,
      lines: [{ description: 'Benchmark: docking station', quantity: 4, unit_cost_cents: 18999 }],
      submit: true,
    });
    if (po.status !== 'pending_approval') throw new Error(`the benchmark PO is ${po.status}, not pending approval`);
  }
  await context.close();
  return po.id;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const p90 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)];
};
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const ms = (n) => `${Math.round(n)} ms`;
const sum = (xs, f) => xs.reduce((a, x) => a + f(x), 0);

async function main() {
  const browser = await chromium.launch(LAUNCH);
  const state = await signedInState(browser, NEXOS);
  const poId = await pendingPo(browser, state);
  const pages = [
    { label: '`/purchase-orders`', url: `${NEXOS}/purchase-orders`, storageState: state },
    { label: `\`/purchase-orders/${poId}\` (pending approval; until the signature pad is ready)`, url: `${NEXOS}/purchase-orders/${poId}`, storageState: state, waitPad: true },
    { label: 'minimal Leptos page', url: `${MINIMAL}/`, storageState: undefined },
  ];
  // One warm-up load each (server caches, Chromium's own start-up), not counted.
  for (const p of pages) await coldLoad(browser, p.url, p);
  const results = [];
  for (const p of pages) {
    const loads = [];
    for (let i = 0; i < RUNS; i++) loads.push(await coldLoad(browser, p.url, p));
    results.push({ ...p, loads });
  }
  await browser.close();

  const [list, po, minimal] = results;
  const weight = (r) => r.loads[0].assets.sort((a, b) => ['wasm', 'js', 'css'].indexOf(a.kind) - ['wasm', 'js', 'css'].indexOf(b.kind) || a.name.localeCompare(b.name));
  const out = [];
  out.push('## Page weight and time to interactive (browser)');
  out.push('');
  out.push(`Measured by \`scripts/bench-web\`: headless Chromium (${LAUNCH.executablePath}) on loopback against the release build (\`target/release/server\`, LEPTOS_ENV=PROD, a fresh SQLite database with the demo), signed in as admin@demo.msp; every load is cold (new browser context, empty cache). "Served" is the response body on the wire (its \`Content-Encoding\`); "raw" is the decoded file.`);
  out.push('');
  const table = (title, r) => {
    const assets = weight(r);
    out.push(`### ${title}: first load`);
    out.push('');
    out.push('| asset | raw | served | encoding | cache-control |');
    out.push('|---|---:|---:|---|---|');
    for (const a of assets) out.push(`| \`${a.name}\` | ${a.decoded} B | ${a.transferred} B | ${a.encoding} | ${a.cacheControl} |`);
    for (const kind of ['wasm', 'js', 'css']) {
      const of = assets.filter((a) => a.kind === kind);
      if (of.length) out.push(`| **${kind} total** | ${sum(of, (a) => a.decoded)} B | ${sum(of, (a) => a.transferred)} B | | |`);
    }
    out.push(`| **wasm + JS + CSS** | **${sum(assets, (a) => a.decoded)} B (${kb(sum(assets, (a) => a.decoded))})** | **${sum(assets, (a) => a.transferred)} B (${kb(sum(assets, (a) => a.transferred))})** | | |`);
    out.push('');
    return { raw: sum(assets, (a) => a.decoded), served: sum(assets, (a) => a.transferred) };
  };
  const l = table('`/purchase-orders`', list);
  const m = table('Minimal hydrating Leptos page (reference, `reference/minimal-page`)', minimal);
  const ratio = l.served / m.served;
  out.push('### Ratio to the minimal page');
  out.push('');
  out.push('| | `/purchase-orders` | minimal page | ratio | target |');
  out.push('|---|---:|---:|---:|---|');
  out.push(`| wasm + JS + CSS, served (compressed) | ${kb(l.served)} | ${kb(m.served)} | **${ratio.toFixed(2)}×** | ≤ ${TARGET_RATIO}× — ${ratio <= TARGET_RATIO ? 'met' : 'missed'} |`);
  out.push(`| wasm + JS + CSS, raw | ${kb(l.raw)} | ${kb(m.raw)} | ${(l.raw / m.raw).toFixed(2)}× | |`);
  out.push('');
  out.push(`### Time to interactive (navigation start → hydrated), ${RUNS} cold loads each`);
  out.push('');
  out.push('| page | median | p90 | min | max |');
  out.push('|---|---:|---:|---:|---:|');
  for (const r of results) {
    const xs = r.loads.map((x) => (r.waitPad ? Math.max(x.hydrated, x.pad) : x.hydrated));
    out.push(`| ${r.label} | ${ms(median(xs))} | ${ms(p90(xs))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} |`);
  }
  out.push('');
  console.log(out.join('\n'));
  if (args.json) {
    const tti = (r) => r.loads.map((x) => (r.waitPad ? Math.max(x.hydrated, x.pad) : x.hydrated));
    writeFileSync(
      args.json,
      JSON.stringify(
        {
          purchase_orders: { assets: weight(list), ...l, tti_ms: tti(list) },
          po_page: { assets: weight(po), served: sum(po.loads[0].assets, (a) => a.transferred), tti_ms: tti(po) },
          po_id: poId,
          minimal: { assets: weight(minimal), ...m, tti_ms: tti(minimal) },
          ratio,
        },
        null,
        2,
      ),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
