import { test, expect } from '@playwright/test';
import * as fs from 'fs';
import { hydrated, signIn } from './helpers';

test('Export CSV downloads the filtered rows', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  // Two POs with a word no other PO has.
  const companies = await (await page.request.post('/api/companies/list', { data: {} })).json();
  const vendors = await (await page.request.post('/api/vendors/list', { data: {} })).json();
  const word = `Zebrafoam${Date.now() % 100000}`;
  for (const qty of [1, 2]) {
    const res = await page.request.post('/api/purchase-orders/create', {
      data: { vendor_id: vendors[0].id, company_id: companies[0].id, lines: [{ description: `${word} cable`, quantity: qty, unit_cost_cents: 1250 }], submit: false },
    });
    expect(res.ok()).toBeTruthy();
  }
  await page.goto('/purchase-orders');
  await hydrated(page);
  await page.getByLabel('Search purchase orders').fill(word);
  await expect(page.getByTestId('po-list').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('export-csv')).toHaveAttribute('href', new RegExp(`q=${word}`));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(download.suggestedFilename()).toMatch(/^purchase-orders-\d{4}-\d{2}-\d{2}\.csv$/);
  const text = fs.readFileSync((await download.path())!, 'utf8');
  const rows = text.trim().split('\r\n');
  expect(rows[0].startsWith('number,status,')).toBeTruthy();
  expect(rows.length).toBe(3);
  expect(rows.slice(1).every((r) => r.includes(',draft,') && r.includes('USD'))).toBeTruthy();
});
