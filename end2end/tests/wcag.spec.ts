import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn } from './helpers';

// Every page passes axe-core's WCAG 2 A/AA rules, on a desk and on a
// 390 px phone. axe-core is an npm package of this folder, injected as is.
const axePath = require.resolve('axe-core/axe.min.js');

async function violations(page: Page) {
  await page.addScriptTag({ path: axePath });
  return page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v: any) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n: any) => n.target.join(' ')).join(' | ')}`);
  });
}

const pages = ['/purchase-orders', '/purchase-orders/new', '/approvals', '/spend', '/procurement', '/renewals', '/companies', '/vendors', '/products', '/contracts', '/settings'];

/** A PO waiting for approval (the page with the signature pad), raised through the API. */
async function pendingPo(page: Page): Promise<string> {
  const post = async (fn: string, data: object) => {
    const res = await page.request.post(`/api/${fn}`, { data });
    expect(res.ok(), `${fn}: ${await res.text()}`).toBeTruthy();
    return res.json();
  };
  const companies = await post('companies/list', {});
  const vendors = await post('vendors/list', {});
  const po = await post('purchase-orders/create', {
    vendor_id: vendors[0].id,
    company_id: companies[0].id,
    lines: [{ description: 'Docking station', quantity: 40, unit_cost_cents: 25000 }],
    submit: true,
  });
  return `/purchase-orders/${po.id}`;
}

/** The page of a company with subscriptions (the demo's sandbox Pax8 has some). */
async function subscribedCompany(page: Page): Promise<string[]> {
  const res = await page.request.post('/api/subscriptions/list', { data: {} });
  const subs = res.ok() ? await res.json() : [];
  return subs.length ? [`/companies/${subs[0].company_id}`] : [];
}

/** A change order (a cancellation: the page with its warnings), raised from a subscription through the API. */
async function changeOrder(page: Page): Promise<string[]> {
  const subs = await (await page.request.post('/api/subscriptions/list', { data: { status: 'active' } })).json();
  if (!subs.length) return [];
  const res = await page.request.post('/api/subscriptions/change', { data: { subscription_id: subs[0].id, cancel: true, submit: true } });
  expect(res.ok(), await res.text()).toBeTruthy();
  return [`/purchase-orders/${(await res.json()).id}`];
}

/** An approved Pax8 PO never dispatched (its procurement panel has no dispatch to ask for): one seat, under the auto-approval limit. */
async function undispatched(page: Page): Promise<string[]> {
  const post = async (fn: string, data: object) => {
    const res = await page.request.post(`/api/${fn}`, { data });
    expect(res.ok(), `${fn}: ${await res.text()}`).toBeTruthy();
    return res.json();
  };
  const pax8 = (await post('vendors/list', {})).find((v: any) => v.distributor === 'pax8');
  const product = (await post('products/list', { vendor_id: pax8.id })).find((p: any) => p.distributor_product_id);
  const company = (await post('companies/list', {})).find((c: any) => c.pax8_company_id);
  const po = await post('purchase-orders/create', {
    vendor_id: pax8.id,
    company_id: company.id,
    lines: [{ product_id: product.id, description: product.name, quantity: 1, unit_cost_cents: product.unit_cost_cents }],
    submit: true,
  });
  expect(po.status, 'approved at once, under the limit').toBe('approved');
  return [`/purchase-orders/${po.id}`];
}

/** Console errors and uncaught exceptions of a page, named by its path. */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${new URL(page.url()).pathname}: console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${new URL(page.url()).pathname}: ${e}`));
  return errors;
}

/** The first link of a list page that leads to one item (a company, a contract). */
async function firstItem(page: Page, list: string, prefix: string, within = ''): Promise<string[]> {
  await page.goto(list);
  await hydrated(page);
  const link = page.locator(`${within} a[href^="${prefix}"]`.trim()).first();
  if ((await link.count()) === 0) return [];
  const href = await link.getAttribute('href');
  return href ? [href] : [];
}

for (const width of [1280, 390]) {
  test(`every page passes axe-core WCAG 2 A/AA at ${width} px`, async ({ browser }) => {
    // The app's CSP (rightly) refuses the injected axe-core script; this
    // context lets it in (security.spec.ts checks the app runs under the CSP).
    const page = await browser.newPage({ viewport: { width, height: 900 }, bypassCSP: true });
    await signIn(page, 'admin@demo.msp');
    const found: string[] = [];
    const po = await pendingPo(page);
    const items = [...(await firstItem(page, '/companies', '/companies/')), ...(await firstItem(page, '/contracts', '/contracts/')), ...(await subscribedCompany(page)), ...(await changeOrder(page)), ...(await undispatched(page))];
    // No page logs an error to the console.
    const errors = consoleErrors(page);
    for (const path of [...pages, ...items, po, `${po}/edit`, `${po}/print`]) {
      await page.goto(path);
      // The printed PO is a plain page: nothing to hydrate.
      if (!path.endsWith('/print')) await expect(page.locator('body[data-hydrated="true"]'), `${path} hydrates`).toHaveCount(1);
      for (const v of await violations(page)) found.push(`${path}: ${v}`);
      // Nothing wider than the screen: no sideways scrolling.
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      if (wide > width) found.push(`${path}: ${wide} px wide at ${width} px`);
    }
    await page.goto('/login');
    for (const v of await violations(page)) found.push(`/login: ${v}`);
    expect(found, found.join('\n')).toEqual([]);
    expect(errors, errors.join('\n')).toEqual([]);
  });
}

// Each role sees its own version of the pages (other actions, other
// panels, refusals): the same rules hold for every one of them.
for (const email of ['approver@demo.msp', 'purchaser@demo.msp', 'tech@demo.msp', 'viewer@demo.msp']) {
  test(`every page passes axe-core WCAG 2 A/AA as ${email.split('@')[0]}`, async ({ browser }) => {
    const page = await browser.newPage({ viewport: { width: 390, height: 900 }, bypassCSP: true });
    await signIn(page, email);
    const found: string[] = [];
    const items = [...(await firstItem(page, '/companies', '/companies/')), ...(await firstItem(page, '/purchase-orders', '/purchase-orders/', '[data-testid="po-list"]'))];
    const errors = consoleErrors(page);
    for (const path of [...pages, ...items]) {
      await page.goto(path);
      await expect(page.locator('body[data-hydrated="true"]'), `${path} hydrates`).toHaveCount(1);
      for (const v of await violations(page)) found.push(`${path}: ${v}`);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      if (wide > 390) found.push(`${path}: ${wide} px wide at 390 px`);
    }
    expect(found, found.join('\n')).toEqual([]);
    expect(errors, errors.join('\n')).toEqual([]);
  });
}
