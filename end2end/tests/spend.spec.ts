import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

test('the spend chart has bars and a legend; a top company opens the list filtered to it', async ({ page, browser }) => {
  // Something committed this month: a PO under the auto-approve limit.
  const tech = await (await browser.newContext()).newPage();
  await signIn(tech, 'tech@demo.msp');
  const companies = await (await tech.request.post('/api/companies/list', { data: {} })).json();
  const vendors = await (await tech.request.post('/api/vendors/list', { data: {} })).json();
  const cdw = vendors.find((v: any) => v.name === 'CDW');
  const created = await tech.request.post('/api/purchase-orders/create', {
    data: { vendor_id: cdw.id, company_id: companies[0].id, lines: [{ description: 'Spend chart mouse', quantity: 2, unit_cost_cents: 2500 }], submit: true },
  });
  expect((await created.json()).status).toBe('approved');

  await signIn(page, 'viewer@demo.msp');
  await page.goto('/spend');
  // Drawn on the server: the bars are there before hydration.
  await expect(page.getByTestId('spend-chart').locator('svg rect').first()).toBeVisible();
  await hydrated(page);
  await expect(page.getByTestId('chart-legend')).toContainText('CDW');
  const bar = page.getByTestId('spend-chart').locator('svg rect[data-series="CDW"]').last();
  await expect(bar.locator('title')).toContainText('CDW: $');
  // Stacked by company instead.
  await page.getByLabel('Stack by').selectOption('company');
  await expect(page.getByTestId('chart-legend')).toContainText(companies[0].name);
  // A top company opens the list filtered to it.
  const top = page.getByTestId('top-companies').getByRole('link', { name: companies[0].name });
  await top.click();
  await page.waitForURL(`**/purchase-orders?company_id=${companies[0].id}`);
  await hydrated(page);
  await expect(page.getByTestId('committed')).toBeVisible();
  const rows = page.getByTestId('po-list').locator('tbody tr');
  await expect(rows.first()).toBeVisible();
  await expect(rows.filter({ hasNotText: companies[0].name })).toHaveCount(0);
});

test('a company page shows its spend over twelve months', async ({ page }) => {
  await signIn(page, 'viewer@demo.msp');
  await page.goto('/companies');
  await hydrated(page);
  await page.getByRole('link', { name: 'Harbor Dental Group' }).click();
  await expect(page.getByTestId('company-spend').locator('svg')).toBeVisible();
  await expect(page.getByTestId('company-spend')).toContainText('Committed: $');
});
