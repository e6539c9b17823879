import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

// The demo server's QuickBooks is the project's fake Intuit (OAuth consent
// page, token endpoint, QBO purchase orders), served over HTTP on loopback.
test('connect QuickBooks by OAuth, map, and push an approved PO', async ({ page }) => {
  await signIn(page, 'admin@demo.msp');

  // Connect: Settings -> Intuit's consent page -> back on Settings.
  await page.goto('/settings');
  await hydrated(page);
  const card = page.getByTestId('qbo-settings');
  // The demo starts connected to its sandbox company: disconnect first.
  if ((await card.getByTestId('qbo-disconnect').count()) > 0) {
    await card.getByTestId('qbo-disconnect').click();
  }
  await expect(card).toContainText('Not connected');
  await card.locator('select[name="qbo_environment"]').selectOption('sandbox');
  await card.getByTestId('qbo-connect').click();
  await page.waitForURL(/\/connect\/oauth2/);
  await expect(page.locator('body')).toContainText('Sandbox Company_US_1');
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.waitForURL('**/settings?qbo=connected');
  await hydrated(page);
  await expect(page.getByTestId('qbo-connected-notice')).toBeVisible();
  await expect(page.getByTestId('qbo-company')).toContainText('Sandbox Company_US_1');
  await expect(page.getByTestId('qbo-company')).toContainText('Sandbox');
  await expect(page.getByTestId('qbo-company-settings')).toContainText('US company, books in USD, multicurrency off');

  // Map the accounts, picked from what the company has.
  const mapping = page.getByTestId('qbo-mapping');
  await mapping.getByRole('button', { name: 'Load accounts from QuickBooks' }).click();
  await expect(page.getByTestId('qbo-lists')).toContainText('accounts');
  const cdwLine = (await mapping.locator('li', { hasText: 'Vendor CDW' }).textContent())!;
  const cdwId = cdwLine.split('id ')[1].trim();
  await mapping.locator('input[name="ap_account_id"]').fill('33');
  await mapping.locator('input[name="expense_account_id"]').fill('7');
  await mapping.getByRole('button', { name: 'Save mapping' }).click();
  await expect(mapping.getByText('Saved')).toBeVisible();

  // An approved PO for CDW (under the auto-approve limit).
  await page.goto('/purchase-orders/new');
  await hydrated(page);
  await page.locator('input[name="target"]').fill('harbor');
  await page.getByRole('button', { name: 'Harbor Dental Group' }).click();
  await page.locator('select[name="vendor_id"]').selectOption({ label: 'CDW' });
  const row = page.getByTestId('line').first();
  await row.locator('input[name="description"]').fill('USB-C docks');
  await row.locator('input[name="quantity"]').fill('2');
  await row.locator('input[name="unit_cost"]').fill('129.00');
  await page.getByRole('button', { name: 'Submit for approval' }).click();
  await page.waitForURL(/\/purchase-orders\/\d+$/);
  const poUrl = page.url();
  await expect(page.getByTestId('po-status').first()).toHaveText('Approved');
  await hydrated(page);

  // The vendor is not mapped yet: the push says so in plain words.
  const panel = page.getByTestId('qbo-panel');
  await expect(panel.getByTestId('qbo-state')).toHaveText('Not in QuickBooks yet.');
  await panel.getByTestId('qbo-push').click();
  await expect(page.getByTestId('qbo-error')).toContainText('map the vendor CDW to a QuickBooks vendor');
  await expect(page.getByTestId('timeline')).toContainText('Push to QuickBooks failed');

  // Map the vendor, then retry: pushed, once.
  await page.goto('/vendors');
  await hydrated(page);
  const vendorRow = page.getByTestId('vendors').locator('tr', { hasText: 'CDW' });
  await vendorRow.getByRole('button', { name: 'Edit' }).click();
  // The picker searches the company's QuickBooks vendors and suggests the one of the same name.
  const picker = page.getByTestId('qbo-vendor-picker');
  await expect(picker.getByTestId('qbo-vendor-suggestion')).toContainText('CDW');
  await picker.getByLabel('QuickBooks vendor').fill('cdw');
  await picker.getByRole('option').getByRole('button', { name: 'CDW', exact: true }).click();
  await expect(picker.getByTestId('qbo-vendor-picked')).toContainText(`CDW (id ${cdwId})`);
  await page.getByTestId('vendors').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('vendors').locator('tr', { hasText: 'CDW' })).toContainText(cdwId);

  await page.goto(poUrl);
  await hydrated(page);
  await page.getByTestId('qbo-panel').getByRole('button', { name: 'Retry push' }).click();
  await expect(page.getByTestId('qbo-panel').getByTestId('qbo-state')).toContainText('In QuickBooks as purchase order');
  await expect(page.getByTestId('qbo-panel').getByTestId('qbo-push')).toHaveCount(0);
  await expect(page.getByTestId('timeline')).toContainText('Pushed to QuickBooks as purchase order');
});
