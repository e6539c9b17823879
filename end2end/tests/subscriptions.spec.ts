import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn, signWithMouse } from './helpers';

// A company's subscriptions, as the demo's sandbox Pax8 has them: one made
// before NEXOS with a commitment ending within 30 days, one whose seats were
// changed in Pax8's portal (drift), and those the demo's dispatches made.

async function subscribedCompany(page: Page): Promise<number> {
  const res = await page.request.post('/api/subscriptions/list', { data: {} });
  expect(res.ok(), await res.text()).toBeTruthy();
  const subs = await res.json();
  const drifted = subs.find((s: any) => s.drift);
  expect(drifted, JSON.stringify(subs)).toBeTruthy();
  return drifted.company_id;
}

for (const width of [1280, 820]) {
  test(`a company's subscriptions show their terms and drift, and sync with Pax8 at ${width} px`, async ({ browser }) => {
    const page = await browser.newPage({ viewport: { width, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await signIn(page, 'purchaser@demo.msp');
    const company = await subscribedCompany(page);
    await page.goto(`/companies/${company}`);
    await hydrated(page);
    const rows = page.getByTestId('subscription-row');
    await expect(rows.first()).toBeVisible();
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    // Ours says 10, Pax8's portal says 12.
    await expect(page.getByTestId('subscription-drift')).toContainText('Pax8 shows 12');
    await expect(page.locator('[data-testid="subscriptions"]')).toContainText('1-Year commitment');
    await page.getByTestId('sync-subscriptions').click();
    await expect(page.getByTestId('sync-outcome')).toContainText('0 imported');
    await expect(page.getByTestId('sync-outcome')).toContainText('1 with other seats at Pax8');
    expect(errors, errors.join('\n')).toEqual([]);
  });
}

test('a viewer sees the subscriptions but no sync', async ({ browser }) => {
  const page = await browser.newPage({ viewport: { width: 390, height: 900 } });
  await signIn(page, 'viewer@demo.msp');
  const company = await subscribedCompany(page);
  await page.goto(`/companies/${company}`);
  await hydrated(page);
  await expect(page.getByTestId('subscription-row').first()).toBeVisible();
  await expect(page.getByTestId('sync-subscriptions')).toHaveCount(0);
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(wide).toBeLessThanOrEqual(390);
});

test('the renewals page lists the commitment ending within 30 days', async ({ browser }) => {
  const page = await browser.newPage({ viewport: { width: 820, height: 1000 } });
  await signIn(page, 'approver@demo.msp');
  await page.goto('/renewals');
  await hydrated(page);
  const row = page.getByTestId('renewal-row').first();
  await expect(row).toBeVisible();
  await expect(row).toContainText(/in (19|20) days/);
  await page.selectOption('#renewal-days', '30');
  await expect(page.getByTestId('renewal-row')).toHaveCount(1);
});

test('a provisioned PO reads received, with no goods to receive', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  const res = await page.request.post('/api/procurement/queue', { data: { state: 'provisioned' } });
  expect(res.ok(), await res.text()).toBeTruthy();
  const queue = await res.json();
  expect(queue.length).toBeGreaterThan(0);
  await page.goto(`/purchase-orders/${queue[0].po_id}`);
  await hydrated(page);
  await expect(page.getByTestId('po-status').first()).toHaveText('Received');
  await expect(page.getByTestId('receive-card')).toHaveCount(0);
  await expect(page.getByTestId('timeline')).toContainText('as provisioned at Pax8');
});

test('the editor says when the company already subscribes to a line’s product', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  const subs = await (await page.request.post('/api/subscriptions/list', { data: { status: 'active' } })).json();
  const sub = subs.find((s: any) => s.product_id);
  expect(sub, JSON.stringify(subs)).toBeTruthy();
  const vendors = await (await page.request.post('/api/vendors/list', { data: {} })).json();
  const vendor = vendors.find((v: any) => v.id === sub.vendor_id);
  await page.goto('/purchase-orders/new');
  await hydrated(page);
  await page.locator('input[name="target"]').fill(sub.company_name.slice(0, 6));
  await page.getByRole('button', { name: sub.company_name }).first().click();
  await page.locator('select[name="vendor_id"]').selectOption(String(vendor.id));
  const row = page.getByTestId('line').first();
  await expect(row.locator(`select[name="product_id"] option[value="${sub.product_id}"]`)).toHaveCount(1);
  await row.locator('select[name="product_id"]').selectOption(String(sub.product_id));
  await expect(row.getByTestId('already-subscribed')).toContainText(`already has ${sub.quantity} seats`);
  // The offer: change that subscription's seats instead, from the company's page.
  await row.getByTestId('change-instead').click();
  await page.waitForURL(new RegExp(`/companies/${sub.company_id}`));
  await hydrated(page);
  await expect(page.getByTestId('change-seats').first()).toBeVisible();
});

/** Changes settings as the admin; answers what they were. */
async function setSettings(page: Page, patch: Record<string, unknown>): Promise<Record<string, unknown>> {
  const res = await page.request.post('/api/auth/login', { data: { email: 'admin@demo.msp', password: 'demo-password' } });
  expect(res.status()).toBe(200);
  const was = await (await page.request.post('/api/settings/get', { data: {} })).json();
  const upd = await page.request.post('/api/settings/update', { data: patch });
  expect(upd.status(), await upd.text()).toBe(200);
  return Object.fromEntries(Object.keys(patch).map((k) => [k, was[k]]));
}

/** A subscription a demo dispatch made, with the contract line it feeds. */
async function orderedSubscription(page: Page): Promise<any> {
  const subs = await (await page.request.post('/api/subscriptions/list', { data: { status: 'active' } })).json();
  const sub = subs.find((s: any) => s.po_id && s.contract_line_id && !s.drift);
  expect(sub, JSON.stringify(subs)).toBeTruthy();
  return sub;
}

for (const width of [1280, 820]) {
  test(`change seats: raised from the company, signed by an approver, sent to Pax8, the contract line follows at ${width} px`, async ({ browser }) => {
    // Signed, and by an approver: no auto-approval for this one.
    const setup = await browser.newPage();
    const was = await setSettings(setup, { require_signature: true, auto_approve_limit_cents: 0 });
    await setup.close();
    const page = await browser.newPage({ viewport: { width, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await signIn(page, 'purchaser@demo.msp');
    const sub = await orderedSubscription(page);
    const to = sub.quantity + 2;
    await page.goto(`/companies/${sub.company_id}`);
    await hydrated(page);
    const row = page.getByTestId('subscription-row').filter({ hasText: sub.distributor_subscription_id });
    await row.getByTestId('change-seats').click();
    await row.getByTestId('new-seats').fill(String(to));
    await row.getByTestId('raise-change').click();
    await page.waitForURL(/\/purchase-orders\/\d+$/);
    await hydrated(page);
    const url = page.url();
    await expect(page.getByTestId('change-order')).toContainText('A change order');
    await expect(page.getByTestId('change-line')).toContainText(`${sub.quantity} → ${to} seats`);
    await page.getByRole('button', { name: 'Submit for approval' }).click();
    await expect(page.getByTestId('po-status').first()).toHaveText('Pending approval');

    const ctx = await browser.newContext({ viewport: { width, height: 1000 } });
    const approver = await ctx.newPage();
    await signIn(approver, 'approver@demo.msp');
    await approver.goto(url);
    await hydrated(approver);
    await signWithMouse(approver);
    await approver.getByRole('button', { name: 'Approve' }).click();
    await expect(approver.getByTestId('po-status').first()).toHaveText('Approved');
    await ctx.close();

    await page.reload();
    await hydrated(page);
    const panel = page.getByTestId('procurement-panel');
    await panel.getByRole('button', { name: 'Dispatch' }).click();
    await expect(panel.getByTestId('dispatch-status')).toHaveText('Provisioned', { timeout: 30_000 });
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('timeline')).toContainText(`now has ${to} seats (was ${sub.quantity})`);
    await expect(page.getByTestId('po-status').first()).toHaveText('Received');
    const after = await (await page.request.post('/api/subscriptions/get', { data: { id: sub.id } })).json();
    expect(after.quantity).toBe(to);
    expect(after.changes.map((c: any) => c.kind)).toContain('seats');
    const company = await (await page.request.post('/api/contracts/lines', { data: { company_id: sub.company_id } })).json();
    const line = company.find((l: any) => l.id === sub.contract_line_id);
    expect(line?.quantity, JSON.stringify(company)).toBe(to);
    expect(errors, errors.join('\n')).toEqual([]);
    const reset = await browser.newPage();
    await setSettings(reset, was);
    await reset.close();
  });
}

for (const width of [1280, 820, 390]) {
test(`a cancellation is raised with its date and warned about before anyone approves at ${width} px`, async ({ page }) => {
  await page.setViewportSize({ width, height: 900 });
  await signIn(page, 'purchaser@demo.msp');
  const sub = await orderedSubscription(page);
  await page.goto(`/companies/${sub.company_id}`);
  await hydrated(page);
  const row = page.getByTestId('subscription-row').filter({ hasText: sub.distributor_subscription_id });
  await row.getByTestId('cancel-subscription').click();
  const day = new Date(Date.now() + 40 * 86400_000).toISOString().slice(0, 10);
  await row.getByTestId('cancel-on').fill(day);
  await row.getByTestId('raise-cancellation').click();
  await page.waitForURL(/\/purchase-orders\/\d+$/);
  await hydrated(page);
  await expect(page.getByTestId('change-line')).toContainText(`on ${day}`);
  await expect(page.getByTestId('cancellation-warning')).toContainText('cancellation fee');
  await page.getByRole('button', { name: 'Submit for approval' }).click();
  // Never approved by itself, however small.
  await expect(page.getByTestId('po-status').first()).toHaveText('Pending approval');
  await expect(page.getByTestId('timeline')).toContainText('removes seats or cancels a subscription');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(wide).toBeLessThanOrEqual(width);
});
}

test('the demo’s decrease waits for the renewal, approved, on its PO and in the queue', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  let held: any[] = [];
  for (let i = 0; i < 30 && !held.length; i++) {
    const res = await page.request.post('/api/procurement/queue', { data: { state: 'held_for_renewal' } });
    expect(res.ok(), await res.text()).toBeTruthy();
    held = await res.json();
    if (!held.length) await page.waitForTimeout(500);
  }
  expect(held.length, 'the demo holds one decrease').toBeGreaterThan(0);
  await page.goto(`/purchase-orders/${held[0].po_id}`);
  await hydrated(page);
  await expect(page.getByTestId('po-status').first()).toHaveText('Approved');
  await expect(page.getByTestId('change-line')).toContainText('25 → 20 seats');
  const panel = page.getByTestId('procurement-panel');
  await expect(panel.getByTestId('dispatch-status')).toHaveText('Held for renewal');
  await expect(panel.getByTestId('held-for-renewal')).toContainText('only once the commitment renews on');
  await page.goto('/procurement');
  await hydrated(page);
  await expect(page.locator('body')).toContainText('Held for renewal');
});
