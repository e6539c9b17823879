import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn } from './helpers';

/** A PO under the auto-approve limit (approved at once) for the Pax8 vendor. */
async function approvedPax8Po(page: Page, company: string, search: string, product: string, qty: string) {
  await page.goto('/purchase-orders/new');
  await hydrated(page);
  await page.locator('input[name="target"]').fill(search);
  await page.getByRole('button', { name: company }).click();
  await page.locator('select[name="vendor_id"]').selectOption({ label: 'Pax8 (Pax8)' });
  const row = page.getByTestId('line').first();
  await expect(row.locator('select[name="product_id"] option', { hasText: product })).toHaveCount(1);
  const value = await row.locator('select[name="product_id"] option', { hasText: product }).getAttribute('value');
  await row.locator('select[name="product_id"]').selectOption(value!);
  await row.locator('input[name="quantity"]').fill(qty);
  await page.getByRole('button', { name: 'Submit for approval' }).click();
  await page.waitForURL(/\/purchase-orders\/\d+$/);
  await expect(page.getByTestId('po-status').first()).toHaveText('Approved');
  return page.url();
}

test('dispatch from the queue: it moves to provisioned without a reload', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  const url = await approvedPax8Po(page, 'Harbor Dental Group', 'harbor', 'Microsoft 365 Business Premium', '3');
  const number = (await page.getByRole('heading', { level: 1 }).textContent())!.trim();
  await page.goto('/procurement');
  await hydrated(page);
  await expect(page.getByTestId('sandbox')).toBeVisible();
  const row = page.locator(`tr[data-po="${number}"]`);
  await expect(row.getByTestId('dispatch-status')).toHaveText('Ready');
  await row.getByRole('button', { name: 'Dispatch' }).click();
  // The queue follows the dispatch live.
  await expect(page.locator(`tr[data-po="${number}"]`).getByTestId('dispatch-status')).toHaveText('Provisioned', { timeout: 30_000 });
  await page.goto(url);
  await expect(page.getByTestId('procurement-panel').getByTestId('dispatch-status')).toHaveText('Provisioned');
  await expect(page.getByTestId('subscriptions')).toContainText('Active');
  await expect(page.getByTestId('timeline')).toContainText('Provisioned: 1 subscription active');
});

test('a failed dispatch is abandoned with a reason', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  await approvedPax8Po(page, 'Cedar & Pine Law', 'cedar', 'Acronis Cyber Protect Cloud', '2');
  await hydrated(page);
  await page.getByRole('button', { name: 'Dispatch to distributor' }).click();
  const panel = page.getByTestId('procurement-panel');
  await expect(panel.getByTestId('dispatch-status')).toHaveText('Failed', { timeout: 30_000 });
  await expect(panel.getByTestId('remediation')).toContainText('pax8_company_id');
  await panel.getByLabel('Reason to abandon').fill('Customer buys it directly');
  await panel.getByRole('button', { name: 'Abandon' }).click();
  await expect(panel.getByTestId('dispatch-status')).toHaveText('Abandoned');
  await expect(page.getByTestId('timeline')).toContainText('Dispatch abandoned: Customer buys it directly');
});

test('an edit and retry that buys more goes back to an approver, then resumes', async ({ page, browser }) => {
  await signIn(page, 'purchaser@demo.msp');
  const url = await approvedPax8Po(page, 'Cedar & Pine Law', 'cedar', 'Acronis Cyber Protect Cloud', '2');
  await hydrated(page);
  await page.getByRole('button', { name: 'Dispatch to distributor' }).click();
  const panel = page.getByTestId('procurement-panel');
  await expect(panel.getByTestId('dispatch-status')).toHaveText('Failed', { timeout: 30_000 });
  await panel.getByText('Edit and retry').click();
  await panel.locator('input[name="pax8_company_id"]').fill('3c9d2e4f-8a7b-4e21-b5c3-9d1e2f3a4b02');
  await panel.locator('input[name="edit_quantity"]').fill('40');
  await panel.getByRole('button', { name: 'Save and retry' }).click();
  // Nothing is sent: the PO waits for an approver, with the difference shown.
  // (The company's link goes with the change; Cedar itself stays unlinked.)
  await expect(page.getByTestId('po-status').first()).toHaveText('Pending approval');
  await expect(page.getByTestId('revision')).toContainText('Line 1: quantity 2 → 40');
  await expect(page.getByTestId('po-total')).toHaveText('$180.00');
  await expect(page.getByTestId('awaiting-approval')).toBeVisible();
  await expect(page.getByTestId('timeline')).toContainText('back to approval');

  const ctx = await browser.newContext();
  const approver = await ctx.newPage();
  await signIn(approver, 'approver@demo.msp');
  await approver.goto(url);
  await hydrated(approver);
  await expect(approver.getByTestId('revision')).toContainText('quantity 2 → 40');
  await approver.getByRole('button', { name: 'Approve' }).click();
  await expect(approver.getByTestId('po-status').first()).toHaveText('Approved');
  await ctx.close();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('procurement-panel').getByTestId('dispatch-status')).toHaveText('Provisioned', { timeout: 30_000 });
  await expect(page.getByTestId('subscriptions')).toContainText('40');
});

test('a failed dispatch is fixed with edit and retry, then provisioned', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  await approvedPax8Po(page, 'Cedar & Pine Law', 'cedar', 'Acronis Cyber Protect Cloud', '4');
  await hydrated(page);
  await page.getByRole('button', { name: 'Dispatch to distributor' }).click();
  const panel = page.getByTestId('procurement-panel');
  await expect(panel.getByTestId('dispatch-status')).toHaveText('Failed', { timeout: 30_000 });
  await expect(panel.getByTestId('remediation')).toContainText('not linked to a Pax8 company');
  await panel.getByText('Edit and retry').click();
  await panel.locator('input[name="pax8_company_id"]').fill('3c9d2e4f-8a7b-4e21-b5c3-9d1e2f3a4b02');
  // Fewer seats and the company's link: fixes within the approval, sent at once.
  await panel.locator('input[name="edit_quantity"]').fill('3');
  await panel.getByRole('button', { name: 'Save and retry' }).click();
  await expect(panel.getByTestId('dispatch-status')).toHaveText('Provisioned', { timeout: 30_000 });
  await expect(panel.getByTestId('subscriptions')).toContainText('3');
  await expect(page.getByTestId('timeline')).toContainText('edited and retried');
});

test('a catalog change after approval is shown on the PO and in the queue, and what was approved is sent', async ({ page }) => {
  await signIn(page, 'admin@demo.msp');
  const vendors = await (await page.request.post('/api/vendors/list', { data: {} })).json();
  const pax8 = vendors.find((v: { name: string }) => v.name === 'Pax8');
  const made = await page.request.post('/api/products/create', {
    data: { vendor_id: pax8.id, name: 'Exchange Online Plan 1', sku: 'EXO-P1', unit_cost_cents: 400, distributor_product_id: 'f3a1c2d4-0b1e-4d5f-8a9b-365b00000002', billing_term: 'Monthly', commitment_term_id: 'c0mm1t00-0000-4000-8000-000000000001' },
  });
  expect(made.status()).toBe(200);
  const product = await made.json();
  const url = await approvedPax8Po(page, 'Harbor Dental Group', 'harbor', 'Exchange Online Plan 1', '2');
  const number = (await page.getByRole('heading', { level: 1 }).textContent())!.trim();
  await expect(page.getByTestId('catalog-changed')).toHaveCount(0);
  const upd = await page.request.post('/api/products/update', { data: { id: product.id, unit_cost_cents: 450, sku: 'EXO-P1-2026' } });
  expect(upd.status()).toBe(200);
  await page.reload();
  await hydrated(page);
  const notice = page.getByTestId('catalog-changed');
  await expect(notice).toContainText('Catalog changed since approval');
  await expect(notice).toContainText('Line 1: SKU EXO-P1 → EXO-P1-2026');
  await expect(notice).toContainText('Line 1: catalog price $4.00 → $4.50');
  await expect(page.getByTestId('po-total')).toHaveText('$8.00');
  await page.goto('/procurement');
  await hydrated(page);
  const row = page.locator(`tr[data-po="${number}"]`);
  await expect(row.getByTestId('catalog-changed')).toHaveText('Catalog changed since approval');
  await row.getByRole('button', { name: 'Dispatch' }).click();
  await expect(page.locator(`tr[data-po="${number}"]`).getByTestId('dispatch-status')).toHaveText('Provisioned', { timeout: 30_000 });
  await page.goto(url);
  await expect(page.getByTestId('catalog-changed')).toHaveCount(0);
});

test('check with Pax8 from the PO page and from the queue, before dispatching', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  const url = await approvedPax8Po(page, 'Harbor Dental Group', 'harbor', 'Microsoft 365 Business Premium', '2');
  const number = (await page.getByRole('heading', { level: 1 }).textContent())!.trim();
  await hydrated(page);
  const panel = page.getByTestId('procurement-panel');
  await panel.getByRole('button', { name: 'Check with Pax8' }).click();
  await expect(panel.getByTestId('check-result')).toHaveText('Pax8 would accept this order.');
  await expect(page.getByTestId('timeline')).toContainText('Checked with Pax8');
  // Nothing was sent: still ready.
  await expect(panel.getByTestId('dispatch-status')).toHaveText('Ready');

  await page.goto('/procurement');
  await hydrated(page);
  const row = page.locator(`tr[data-po="${number}"]`);
  await row.getByRole('button', { name: 'Check with Pax8' }).click();
  await expect(page.locator(`tr[data-check-for="${number}"]`).getByTestId('check-result')).toContainText('Pax8 would accept this order.');
  await page.goto(url);
  await expect(page.getByTestId('procurement-panel').getByTestId('dispatch-status')).toHaveText('Ready');
});

/** A new company (not linked to Pax8); its page is open. */
async function newCompany(page: Page, name: string) {
  await page.goto('/companies');
  await hydrated(page);
  await page.getByRole('textbox', { name: 'Name' }).fill(name);
  await page.getByRole('button', { name: 'Add company' }).click();
  await page.getByRole('link', { name }).click();
  await page.waitForURL(/\/companies\/\d+$/);
  await hydrated(page);
}

test('a PO of an unlinked company: the check names the problem', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  const name = `Unlinked Co ${Date.now()}`;
  await newCompany(page, name);
  await approvedPax8Po(page, name, 'unlinked co', 'Acronis Cyber Protect Cloud', '1');
  await hydrated(page);
  const panel = page.getByTestId('procurement-panel');
  await panel.getByRole('button', { name: 'Check with Pax8' }).click();
  await expect(panel.getByTestId('check-result')).toContainText('Pax8 would refuse this order');
  await expect(panel.getByTestId('problems')).toContainText('pax8_company_id');
});

test('a company is linked to Pax8 by searching: inactive companies cannot be picked', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  await newCompany(page, `Linked Co ${Date.now()}`);
  const search = page.getByLabel('Find the Pax8 company');
  await search.fill('old mill');
  await expect(page.getByRole('button', { name: /Old Mill Bakery/ })).toBeDisabled();
  await expect(page.getByRole('button', { name: /Old Mill Bakery/ })).toContainText('Inactive');
  await search.fill('northwind');
  await page.getByRole('button', { name: /Northwind Dental/ }).click();
  await expect(page.getByTestId('pax8-picked')).toContainText('Northwind Dental');
  await page.getByRole('button', { name: 'Save link' }).click();
  await expect(page.getByTestId('pax8-id')).toHaveText('b7c1d7e2-5f0a-4c1e-9d55-3a1f0c2e9b11');
  await expect(page.getByTestId('pax8-linked')).toContainText('Northwind Dental');
});
