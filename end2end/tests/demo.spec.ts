import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

// The demo's history, as a new user first sees it (this file runs first:
// it only looks, so the other tests find the demo as it was made).
test('the demo shows six months of purchasing in every state', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');

  // Every procurement state, and the failed dispatch says what Pax8 wants.
  await page.goto('/procurement');
  await hydrated(page);
  const states = page.getByTestId('dispatch-status');
  for (const s of ['Provisioned', 'Failed', 'Abandoned', 'Not provisionable']) {
    await expect(states.filter({ hasText: new RegExp(`^${s}$`) }).first()).toBeVisible();
  }
  const failed = page.locator('tr[data-po]', { has: states.filter({ hasText: /^Failed$/ }) });
  await failed.getByRole('link', { name: 'Remediate' }).click();
  await page.waitForURL(/\/purchase-orders\/\d+/);
  await hydrated(page);
  await expect(page.getByTestId('remediation')).toContainText('siteName');

  // Every PO status in the list.
  await page.goto('/purchase-orders');
  await hydrated(page);
  for (const [value, label] of [
    ['draft', 'Draft'],
    ['pending_approval', 'Pending approval'],
    ['approved', 'Approved'],
    ['rejected', 'Rejected'],
    ['partially_received', 'Partially received'],
    ['received', 'Received'],
    ['cancelled', 'Cancelled'],
  ]) {
    await page.getByLabel('Status').selectOption(value);
    await expect(page.getByTestId('po-list').locator('tbody tr').first(), label).toContainText(label);
  }

  // Committed spend in at least six of the last twelve months.
  await page.goto('/spend');
  await expect(page.getByTestId('spend-chart').first().locator('svg rect').first()).toBeVisible();
  const totals = await page.getByTestId('spend-chart').first().locator('details tbody tr td:last-child').allTextContents();
  expect(totals.filter((t) => t.trim() !== '$0.00').length).toBeGreaterThanOrEqual(6);

  // Approvers find POs waiting for them.
  await signIn(page, 'approver@demo.msp');
  await page.goto('/approvals');
  await hydrated(page);
  await expect(page.getByTestId('inbox-item').first()).toBeVisible();
});

test('the commitment ending within 30 days is told by mail, and the mail opens the subscription', async ({ page }) => {
  await signIn(page, 'admin@demo.msp');
  // The worker writes the notice at start and sends it within a second or so.
  let mail: any;
  await expect(async () => {
    const res = await page.request.post('/api/notifications/sandbox-mail', { data: {} });
    expect(res.ok(), await res.text()).toBeTruthy();
    mail = (await res.json()).find((m: any) => m.to === 'approver@demo.msp' && m.subject.startsWith('Commitment ends in'));
    expect(mail).toBeTruthy();
  }).toPass({ timeout: 20_000 });
  expect(mail.subject).toMatch(/^Commitment ends in (19|20) days: .+, \d+ seats$/);
  const link = (mail.text as string).match(/Change or cancel it: (\S+)/)![1];
  const url = new URL(link);
  expect(url.hash).toMatch(/^#subscription-\d+$/);
  await page.goto(url.pathname + url.hash);
  await hydrated(page);
  const row = page.locator(`tr${url.hash}`);
  await expect(row).toBeVisible();
  await expect(row.getByRole('button', { name: /Change seats/ })).toBeVisible();
  // Settings says what each delivery was about.
  await page.goto('/settings');
  await expect(page.getByTestId('notifications')).toHaveAttribute('data-ready', 'true');
  await expect(page.getByTestId('sandbox-mailbox')).toContainText('Commitment ends in');
});
