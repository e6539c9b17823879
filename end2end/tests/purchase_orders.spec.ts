import { test, expect, Page, BrowserContext } from '@playwright/test';
import { hydrated, signIn, signWithMouse } from './helpers';

type Line = { product?: string; description?: string; qty: string; cost?: string };

/** Raises a PO in the editor and returns its page URL. */
async function raisePo(page: Page, opts: { kind?: 'Company' | 'Ticket' | 'Project'; search: string; pick: string; vendor: string; lines: Line[]; submit?: boolean }) {
  await page.goto('/purchase-orders/new');
  await hydrated(page);
  if (opts.kind && opts.kind !== 'Company') await page.getByRole('radio', { name: opts.kind }).click();
  await page.locator('input[name="target"]').fill(opts.search);
  await page.getByRole('button', { name: opts.pick }).click();
  await expect(page.getByTestId('picked')).toContainText(opts.pick);
  await page.locator('select[name="vendor_id"]').selectOption({ label: opts.vendor });
  for (let i = 0; i < opts.lines.length; i++) {
    if (i > 0) await page.getByRole('button', { name: '+ Add line' }).click();
    const row = page.getByTestId('line').nth(i);
    const l = opts.lines[i];
    if (l.product) {
      await expect(row.locator('select[name="product_id"] option', { hasText: l.product })).toHaveCount(1);
      const value = await row.locator('select[name="product_id"] option', { hasText: l.product }).getAttribute('value');
      await row.locator('select[name="product_id"]').selectOption(value!);
      await expect(row.locator('input[name="description"]')).not.toHaveValue('');
    }
    if (l.description) await row.locator('input[name="description"]').fill(l.description);
    await row.locator('input[name="quantity"]').fill(l.qty);
    if (l.cost) await row.locator('input[name="unit_cost"]').fill(l.cost);
  }
  await page.getByRole('button', { name: opts.submit === false ? 'Save draft' : 'Submit for approval' }).click();
  await page.waitForURL(/\/purchase-orders\/\d+$/);
  await hydrated(page);
  return page.url();
}

/** Draws a signature with real touch events (Chromium turns them into pointer events). */
async function signWithFinger(page: Page, context: BrowserContext) {
  const pad = page.getByTestId('signature-pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const cdp = await context.newCDPSession(page);
  const y0 = box.y + box.height / 2;
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: box.x + 30, y: y0 }] });
  for (let i = 1; i <= 20; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: box.x + 30 + i * 14, y: y0 + 30 * Math.sin(i / 2) }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

async function setRequireSignature(page: Page, on: boolean) {
  const res = await page.request.post('/api/auth/login', { data: { email: 'admin@demo.msp', password: 'demo-password' } });
  expect(res.status()).toBe(200);
  const upd = await page.request.post('/api/settings/update', { data: { require_signature: on } });
  expect(upd.status()).toBe(200);
}

test('a PO under the limit is approved automatically', async ({ page }) => {
  await signIn(page, 'tech@demo.msp');
  await raisePo(page, { search: 'harb', pick: 'Harbor Dental Group', vendor: 'CDW', lines: [{ product: 'HP 58A toner', qty: '2' }] });
  await expect(page.getByTestId('po-status').first()).toHaveText('Approved');
  await expect(page.getByTestId('po-total')).toHaveText('$258.00');
  await expect(page.getByTestId('timeline')).toContainText('Approved automatically (under $500.00 limit)');
});

test('over the limit: an approver signs with the mouse; the signature shows on the PO, its timeline and the print', async ({ page, browser }) => {
  await setRequireSignature(page, true);
  await signIn(page, 'tech@demo.msp');
  const url = await raisePo(page, {
    kind: 'Ticket', search: 'laptop', pick: 'Laptop for new front-desk hire', vendor: 'CDW',
    lines: [{ product: 'Dell Latitude 5450', qty: '2' }, { description: 'USB-C dock', qty: '2', cost: '189.99' }],
  });
  await expect(page.getByTestId('po-status').first()).toHaveText('Pending approval');
  await expect(page.getByTestId('po-total')).toHaveText('$2,777.98');
  await expect(page.getByTestId('approve-card')).toHaveCount(0);

  const ctx = await browser.newContext();
  const approver = await ctx.newPage();
  await signIn(approver, 'approver@demo.msp');
  await approver.goto(url);
  await hydrated(approver);
  // An empty pad is refused.
  await approver.getByRole('button', { name: 'Approve' }).click();
  await expect(approver.getByRole('alert')).toContainText('Sign on the pad first');
  await signWithMouse(approver);
  await approver.getByRole('button', { name: 'Approve' }).click();
  await expect(approver.getByTestId('po-status').first()).toHaveText('Approved');
  await expect(approver.getByTestId('approval')).toContainText('Approved by Avery Approver');
  const img = approver.getByTestId('signature-image');
  await expect(img).toBeVisible();
  expect(await img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(100);
  await expect(approver.getByTestId('timeline')).toContainText('Approved with signature');
  await expect(approver.getByTestId('timeline').locator('img.sig-thumb')).toHaveCount(1);
  await approver.goto(url + '/print');
  await expect(approver.getByTestId('print-signature')).toBeVisible();
  expect(await approver.getByTestId('print-signature').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(100);
  await ctx.close();
});

test('on a tablet an approver signs with a finger', async ({ page, browser }) => {
  await setRequireSignature(page, true);
  await signIn(page, 'tech@demo.msp');
  const url = await raisePo(page, { search: 'north', pick: 'Northwind Logistics', vendor: 'CDW', lines: [{ product: 'Ubiquiti UniFi Switch', qty: '3' }] });
  const ctx = await browser.newContext({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  const tablet = await ctx.newPage();
  await signIn(tablet, 'approver@demo.msp');
  await tablet.goto(url);
  await hydrated(tablet);
  const before = await tablet.evaluate(() => window.scrollY);
  await signWithFinger(tablet, ctx);
  expect(await tablet.evaluate(() => window.scrollY)).toBe(before);
  await expect(tablet.getByText('Signed.')).toBeVisible();
  // The backing store follows devicePixelRatio, so strokes stay sharp.
  const dims = await tablet.getByTestId('signature-pad').evaluate((c: HTMLCanvasElement) => [c.width, c.getBoundingClientRect().width]);
  expect(dims[0]).toBeGreaterThanOrEqual(dims[1] * 2 - 1);
  await tablet.getByRole('button', { name: 'Approve' }).click();
  await expect(tablet.getByTestId('po-status').first()).toHaveText('Approved');
  await expect(tablet.getByTestId('signature-image')).toBeVisible();
  await ctx.close();
});

test('reject with a reason, edit, submit again', async ({ page, browser }) => {
  await signIn(page, 'tech@demo.msp');
  const url = await raisePo(page, { kind: 'Project', search: 'wi-fi', pick: 'Warehouse Wi-Fi refresh', vendor: 'CDW', lines: [{ product: 'Ubiquiti UniFi Switch', qty: '4' }] });
  const ctx = await browser.newContext();
  const approver = await ctx.newPage();
  await signIn(approver, 'approver@demo.msp');
  await approver.goto(url);
  await hydrated(approver);
  await approver.getByRole('button', { name: 'Reject' }).click();
  await expect(approver.locator('[data-field="reason"]')).toContainText('Give a reason');
  await approver.getByLabel('Reason for rejecting').fill('Two switches are enough');
  await approver.getByRole('button', { name: 'Reject' }).click();
  await expect(approver.getByTestId('rejection')).toContainText('Two switches are enough');
  await ctx.close();

  await page.goto(url);
  await hydrated(page);
  await expect(page.getByTestId('po-status').first()).toHaveText('Rejected');
  await page.getByRole('link', { name: 'Edit' }).click();
  await page.waitForURL(/\/edit$/);
  await hydrated(page);
  await page.getByTestId('line').first().locator('input[name="quantity"]').fill('2');
  await expect(page.getByTestId('po-total')).toHaveText('$758.00');
  await page.getByRole('button', { name: 'Submit for approval' }).click();
  await page.waitForURL(/\/purchase-orders\/\d+$/);
  await expect(page.getByTestId('po-status').first()).toHaveText('Pending approval');
  await expect(page.getByTestId('timeline')).toContainText('Rejected: Two switches are enough');
  await expect(page.getByTestId('timeline')).toContainText('Edited');
});

test('receive part, then the rest', async ({ page, browser }) => {
  await setRequireSignature(page, false);
  // A company of its own, so that its committed cost is this PO's alone.
  const name = `Oakridge Clinic ${Date.now()}`;
  expect((await page.request.post('/api/companies/create', { data: { name } })).status()).toBe(200);
  await signIn(page, 'tech@demo.msp');
  const url = await raisePo(page, { search: 'oakridge', pick: name, vendor: 'CDW', lines: [{ product: 'Dell Latitude 5450', qty: '3' }] });
  const ctx = await browser.newContext();
  const purchaser = await ctx.newPage();
  await signIn(purchaser, 'approver@demo.msp');
  await purchaser.goto(url);
  await hydrated(purchaser);
  await purchaser.getByRole('button', { name: 'Approve' }).click();
  await expect(purchaser.getByTestId('po-status').first()).toHaveText('Approved');
  const card = purchaser.getByTestId('receive-card');
  await card.getByLabel('Arrived now').fill('5');
  await card.getByRole('button', { name: 'Receive entered' }).click();
  await expect(purchaser.getByRole('alert')).toContainText('only 3 of 3 are still outstanding');
  await card.getByLabel('Arrived now').fill('1');
  await card.getByRole('button', { name: 'Receive entered' }).click();
  await expect(purchaser.getByTestId('po-status').first()).toHaveText('Partially received');
  await expect(purchaser.getByTestId('received')).toHaveText('1');
  await purchaser.getByTestId('receive-card').getByRole('button', { name: 'Receive all outstanding' }).click();
  await expect(purchaser.getByTestId('po-status').first()).toHaveText('Received');
  await expect(purchaser.getByTestId('received')).toHaveText('3');
  await expect(purchaser.getByTestId('receive-card')).toHaveCount(0);
  await ctx.close();

  // The company page lists the PO and its committed cost.
  await page.goto('/companies');
  await page.getByRole('link', { name }).click();
  await expect(page.getByTestId('committed')).toContainText('$3,597.00');
});

test('the list filters, searches and pages', async ({ page }) => {
  // More POs than a page holds (50): the demo's and drafts made here.
  expect((await page.request.post('/api/auth/login', { data: { email: 'tech@demo.msp', password: 'demo-password' } })).status()).toBe(200);
  const companies = await (await page.request.post('/api/companies/list', { data: {} })).json();
  const vendors = await (await page.request.post('/api/vendors/list', { data: {} })).json();
  const all = async () => (await (await page.request.post('/api/purchase-orders/list', { data: { limit: 100 } })).json()).items.length;
  for (let n = await all(); n <= 55; n++) {
    const made = await page.request.post('/api/purchase-orders/create', {
      data: { vendor_id: vendors[0].id, company_id: companies[0].id, lines: [{ description: 'Paging test cable', quantity: 1, unit_cost_cents: 500 }], submit: false },
    });
    expect(made.ok()).toBeTruthy();
  }
  await signIn(page, 'viewer@demo.msp');
  // What the API finds is what the list shows (the demo's history has
  // toner orders and received ones; earlier tests may have added more).
  const count = async (filter: object) => (await (await page.request.post('/api/purchase-orders/list', { data: { ...filter, limit: 100 } })).json()).items.length;
  const toner = await count({ q: 'toner' });
  const received = await count({ status: 'received' });
  expect(toner).toBeGreaterThan(0);
  expect(received).toBeGreaterThan(0);
  await page.goto('/purchase-orders');
  await hydrated(page);
  const rows = page.getByTestId('po-list').locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search purchase orders' }).fill('toner');
  await expect(rows).toHaveCount(Math.min(toner, 50));
  await page.getByRole('searchbox', { name: 'Search purchase orders' }).fill('');
  await page.getByLabel('Status').selectOption('received');
  await expect(rows).toHaveCount(Math.min(received, 50));
  await expect(rows.filter({ hasNotText: 'Received' })).toHaveCount(0);
  // Every status: a page of 50, then "Show more" (drawn on the server too).
  await page.getByLabel('Status').selectOption('');
  await expect(rows).toHaveCount(50);
  await page.getByTestId('more').click();
  await expect(rows).toHaveCount(Math.min(await all(), 100));
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('more')).toBeVisible();
  await expect(page.getByRole('link', { name: 'New purchase order' })).toHaveCount(0);
});

test('the list filters by a company found by typing', async ({ page }) => {
  await signIn(page, 'tech@demo.msp');
  const url = await raisePo(page, { search: 'cedar', pick: 'Cedar & Pine Law', vendor: 'CDW', lines: [{ description: 'Filter test cable', qty: '1', cost: '5.00' }] });
  const number = (await page.getByRole('heading', { level: 1 }).textContent())!.trim();
  await page.goto('/purchase-orders');
  await hydrated(page);
  const rows = page.getByTestId('po-list').locator('tbody tr');
  await page.getByRole('searchbox', { name: 'Company' }).fill('ced');
  await page.getByRole('button', { name: 'Cedar & Pine Law' }).click();
  await expect(page.getByTestId('committed')).toBeVisible();
  await expect(rows.filter({ hasText: number })).toHaveCount(1);
  await expect(rows.filter({ hasNotText: 'Cedar & Pine Law' })).toHaveCount(0);
  const companyHref = await rows.first().locator('a[href^="/companies/"]').getAttribute('href');
  // Typing again starts a new choice: no company until one is picked; the
  // matches close when the focus leaves the filter.
  await page.getByRole('searchbox', { name: 'Company' }).fill('harb');
  await expect(page.getByRole('button', { name: 'Harbor Dental Group' })).toBeVisible();
  await expect(page.getByTestId('committed')).toHaveCount(0);
  await page.getByRole('heading', { level: 1 }).click();
  await expect(page.getByRole('listbox')).toHaveCount(0);
  // Given in the address, the company's name fills the filter.
  await page.goto(`/purchase-orders?company_id=${companyHref!.split('/').pop()}`);
  await hydrated(page);
  await expect(page.getByRole('searchbox', { name: 'Company' })).toHaveValue('Cedar & Pine Law');
  await expect(rows.filter({ hasNotText: 'Cedar & Pine Law' })).toHaveCount(0);
  // × goes back to every company.
  await page.getByRole('button', { name: 'Any company' }).click();
  await expect(page.getByRole('searchbox', { name: 'Company' })).toHaveValue('');
  await expect(page.getByTestId('committed')).toHaveCount(0);
  expect(url).toMatch(/\/purchase-orders\/\d+$/);
});

test('an approver cannot approve a PO they raised: the page says why', async ({ page }) => {
  await signIn(page, 'approver@demo.msp');
  const url = await raisePo(page, { search: 'north', pick: 'Northwind Logistics', vendor: 'CDW', lines: [{ product: 'Dell Latitude 5450', qty: '2' }] });
  await expect(page.getByTestId('po-status').first()).toHaveText('Pending approval');
  const card = page.getByTestId('approve-card');
  await expect(card.getByTestId('self-approval')).toContainText('You raised this purchase order, so someone else must approve or reject it');
  await expect(card.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  // The server refuses it too, whatever the page shows.
  const id = Number(url.split('/').pop());
  const po = await (await page.request.post('/api/purchase-orders/get', { data: { id } })).json();
  const res = await page.request.post('/api/purchase-orders/approve', { data: { id, version: po.version } });
  expect(res.status()).toBe(403);
  expect((await res.json()).code).toBe('self_approval');
});

test('a stale approval is refused and the PO can be reloaded', async ({ page, browser }) => {
  await setRequireSignature(page, false);
  await signIn(page, 'tech@demo.msp');
  const url = await raisePo(page, { search: 'harb', pick: 'Harbor Dental Group', vendor: 'CDW', lines: [{ product: 'Dell Latitude 5450', qty: '3' }] });
  const id = Number(url.split('/').pop());
  const ctx = await browser.newContext();
  const approver = await ctx.newPage();
  await signIn(approver, 'approver@demo.msp');
  await approver.goto(url);
  await hydrated(approver);
  await expect(approver.getByTestId('po-total')).toHaveText('$3,597.00');

  // Meanwhile the PO is rejected, changed to two laptops and submitted again.
  const seen = await (await page.request.post('/api/purchase-orders/get', { data: { id } })).json();
  const rejected = await approver.request.post('/api/purchase-orders/reject', { data: { id, version: seen.version, reason: 'Two will do' } });
  expect(rejected.status()).toBe(200);
  const r = await rejected.json();
  const line = r.lines[0];
  const upd = await page.request.post('/api/purchase-orders/update', {
    data: {
      id, version: r.version, vendor_id: r.vendor.id, company_id: r.company.id, submit: true,
      lines: [{ description: line.description, quantity: 2, unit_cost_cents: line.unit_cost_cents, product_id: line.product_id }],
    },
  });
  expect(upd.status()).toBe(200);

  // The page still shows three laptops: approving them is refused.
  await approver.getByRole('button', { name: 'Approve' }).click();
  const stale = approver.getByTestId('stale');
  await expect(stale).toContainText('This PO changed since you opened it');
  await expect(approver.getByTestId('po-status').first()).toHaveText('Pending approval');
  await stale.getByRole('button', { name: 'Reload' }).click();
  await expect(approver.getByTestId('po-total')).toHaveText('$2,398.00');
  await expect(approver.getByTestId('stale')).toHaveCount(0);
  await expect(approver.getByTestId('timeline')).toContainText('Rejected: Two will do');
  await approver.getByRole('button', { name: 'Approve' }).click();
  await expect(approver.getByTestId('po-status').first()).toHaveText('Approved');
  await expect(approver.getByTestId('approval')).toContainText('Approved by Avery Approver');
  await ctx.close();
});

test('a price below the catalog is an override: shown in the editor and on the PO, and sent to an approver', async ({ page, browser }) => {
  await setRequireSignature(page, false);
  await signIn(page, 'tech@demo.msp');
  await page.goto('/purchase-orders/new');
  await hydrated(page);
  await page.locator('input[name="target"]').fill('harb');
  await page.getByRole('button', { name: 'Harbor Dental Group' }).click();
  await page.locator('select[name="vendor_id"]').selectOption({ label: 'CDW' });
  const row = page.getByTestId('line').first();
  const value = await row.locator('select[name="product_id"] option', { hasText: 'HP 58A toner' }).getAttribute('value');
  await row.locator('select[name="product_id"]').selectOption(value!);
  await expect(row.getByTestId('catalog-price')).toHaveText('Catalog $129.00');
  await row.locator('input[name="quantity"]').fill('2');
  await row.locator('input[name="unit_cost"]').fill('0.00');
  await expect(row.getByTestId('catalog-price')).toContainText('Catalog $129.00 · override');
  await page.getByRole('button', { name: 'Submit for approval' }).click();
  await page.waitForURL(/\/purchase-orders\/\d+$/);
  await hydrated(page);
  // $0.00 is under the limit, but an override is never approved automatically.
  await expect(page.getByTestId('po-status').first()).toHaveText('Pending approval');
  await expect(page.getByTestId('price-override')).toHaveText('Catalog $129.00 · override');
  await expect(page.getByTestId('timeline')).toContainText("price override on line 1: $0.00 instead of the catalog's $129.00");
  await expect(page.getByTestId('timeline')).toContainText('a price differs from the catalog');

  const ctx = await browser.newContext();
  const approver = await ctx.newPage();
  await signIn(approver, 'approver@demo.msp');
  await approver.goto(page.url());
  await hydrated(approver);
  await expect(approver.getByTestId('price-override')).toBeVisible();
  await approver.getByRole('button', { name: 'Approve' }).click();
  await expect(approver.getByTestId('po-status').first()).toHaveText('Approved');
  await ctx.close();
});

test('above the second limit two approvers sign on a tablet, and the print carries both signatures', async ({ page, browser }) => {
  await signIn(page, 'admin@demo.msp');
  const set = await page.request.post('/api/settings/update', { data: { second_approval_limit_cents: 100000, require_signature: true } });
  expect(set.status()).toBe(200);
  try {
    await signIn(page, 'tech@demo.msp');
    const url = await raisePo(page, { search: 'north', pick: 'Northwind Logistics', vendor: 'CDW', lines: [{ product: 'Dell Latitude 5450', qty: '2' }] });
    await expect(page.getByTestId('approvals-progress')).toContainText('0 of 2 approvals');
    const sign = async (email: string, name: string, progress: string) => {
      const ctx = await browser.newContext({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
      const tablet = await ctx.newPage();
      await signIn(tablet, email);
      await tablet.goto(url);
      await hydrated(tablet);
      await signWithFinger(tablet, ctx);
      await tablet.getByRole('button', { name: 'Approve' }).click();
      await expect(tablet.getByTestId('approval').last()).toContainText(`Approved by ${name}`);
      if (progress) await expect(tablet.getByTestId('approvals-progress')).toContainText(progress);
      return { ctx, tablet };
    };
    const first = await sign('approver@demo.msp', 'Avery Approver', '1 of 2 approvals');
    await expect(first.tablet.getByTestId('po-status').first()).toHaveText('Pending approval');
    // The first approver cannot give the second approval too.
    await expect(first.tablet.getByRole('button', { name: 'Approve' })).toHaveCount(0);
    await expect(first.tablet.getByTestId('self-approval')).toContainText('a second, different approver');
    await first.ctx.close();
    const second = await sign('admin@demo.msp', 'Alex Admin', '');
    await expect(second.tablet.getByTestId('po-status').first()).toHaveText('Approved');
    await expect(second.tablet.getByTestId('approval')).toHaveCount(2);
    await expect(second.tablet.getByTestId('approval').first()).toContainText('Approval 1 of 2: Approved by Avery Approver');
    await expect(second.tablet.getByTestId('timeline')).toContainText('First approval of two, with signature');
    await expect(second.tablet.getByTestId('timeline').locator('img.sig-thumb')).toHaveCount(2);
    await second.tablet.goto(url + '/print');
    const sigs = second.tablet.getByTestId('print-signature');
    await expect(sigs).toHaveCount(2);
    for (let i = 0; i < 2; i++) {
      await expect(sigs.nth(i)).toBeVisible();
      expect(await sigs.nth(i).evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
    }
    await expect(second.tablet.locator('.print-approval')).toContainText('Approval 2 of 2 · Approved by Alex Admin');
    await second.ctx.close();
  } finally {
    await signIn(page, 'admin@demo.msp');
    await page.request.post('/api/settings/update', { data: { second_approval_limit_cents: 0, require_signature: false } });
  }
});
