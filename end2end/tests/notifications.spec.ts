import { test, expect, Page } from '@playwright/test';
import { hydrated, signIn, signWithMouse } from './helpers';

/** The approvals badge's count (0 when it is not shown). */
async function badge(page: Page): Promise<number> {
  const b = page.getByTestId('approvals-badge');
  return (await b.count()) === 0 ? 0 : parseInt(await b.innerText(), 10);
}

test('the inbox badge counts a new PO, the approver approves it from the inbox, Settings shows the deliveries', async ({ browser }) => {
  test.setTimeout(120_000);
  // An admin adds a webhook to a receiver that refuses (404): its delivery fails and shows.
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, 'admin@demo.msp');
  // Start from no webhooks (a failed run of this test may have left one).
  for (const h of await (await admin.request.post('/api/webhooks/list', { data: {} })).json()) {
    await admin.request.post('/api/webhooks/delete', { data: { id: h.id } });
  }
  await admin.goto('/settings');
  await expect(admin.getByTestId('notifications')).toHaveAttribute('data-ready', 'true');
  await expect(admin.getByTestId('mail-status')).toContainText('sandbox mailbox (demo)');
  const receiver = new URL('/api/no-such-receiver', admin.url()).toString();
  await admin.getByLabel('Webhook URL').fill(receiver);
  await admin.getByLabel('Kind').selectOption('generic');
  await admin.getByRole('checkbox', { name: /po\.approved/ }).check();
  await admin.getByRole('button', { name: 'Add webhook' }).click();
  await expect(admin.getByTestId('webhooks')).toContainText('JSON (signed)');
  await expect(admin.getByTestId('webhooks')).toContainText('po.approved');

  // The approver has the app open.
  const approver = await (await browser.newContext()).newPage();
  await signIn(approver, 'approver@demo.msp');
  const before = await badge(approver);

  // A technician raises a PO over the limit.
  const tech = await (await browser.newContext()).newPage();
  await signIn(tech, 'tech@demo.msp');
  const companies = await (await tech.request.post('/api/companies/list', { data: {} })).json();
  const vendors = await (await tech.request.post('/api/vendors/list', { data: {} })).json();
  const created = await tech.request.post('/api/purchase-orders/create', {
    data: { vendor_id: vendors[0].id, company_id: companies[0].id, lines: [{ description: 'Inbox test switch', quantity: 3, unit_cost_cents: 45000 }], submit: true },
  });
  expect(created.ok()).toBeTruthy();
  const po = await created.json();
  expect(po.status).toBe('pending_approval');

  // The badge counts it while the page stays open (it asks every 20 s).
  await expect(approver.getByTestId('approvals-badge')).toHaveText(new RegExp(`^${before + 1}\\b`), { timeout: 30_000 });
  await approver.getByRole('link', { name: /Approvals/ }).click();
  await approver.waitForURL('**/approvals');
  await hydrated(approver);
  const item = approver.getByTestId('inbox-item').filter({ hasText: po.number });
  await expect(item).toContainText('Taylor Technician');
  await expect(item).toContainText('$1,350.00');
  await item.click();
  await approver.waitForURL(`**/purchase-orders/${po.id}`);
  await hydrated(approver);
  await expect(approver.getByTestId('approve-card')).toBeVisible();
  if ((await approver.getByTestId('signature-pad').count()) > 0) await signWithMouse(approver);
  await approver.getByRole('button', { name: 'Approve' }).click();
  await expect(approver.getByTestId('po-status').first()).toHaveText('Approved');
  // Back to what it was (it asks again on the next page change or tick).
  await approver.getByRole('link', { name: /Purchase orders/ }).first().click();
  if (before === 0) await expect(approver.getByTestId('approvals-badge')).toHaveCount(0, { timeout: 30_000 });
  else await expect(approver.getByTestId('approvals-badge')).toHaveText(new RegExp(`^${before}\\b`), { timeout: 30_000 });

  // Settings: the approver's mail is in the sandbox mailbox; the webhook's delivery failed (404) and can be sent again.
  await admin.reload();
  await expect(admin.getByTestId('notifications')).toHaveAttribute('data-ready', 'true');
  await expect(admin.getByTestId('sandbox-mailbox')).toContainText(`${po.number} needs your approval`);
  const mail = admin.getByTestId('sandbox-mailbox').locator('details').filter({ hasText: `${po.number} needs your approval` }).filter({ hasText: 'approver@demo.msp' });
  await mail.locator('summary').click();
  await expect(mail.locator('pre')).toContainText(`/purchase-orders/${po.id}`);
  let failedRow = admin.getByTestId('failed-deliveries').locator('tr').filter({ hasText: po.number });
  for (let i = 0; i < 20 && (await failedRow.count()) === 0; i++) {
    await admin.waitForTimeout(500);
    await admin.getByTestId('notifications').getByRole('button', { name: 'Refresh', exact: true }).click();
  }
  await expect(failedRow).toContainText('HTTP 404');
  await expect(admin.getByTestId('webhooks')).toContainText(po.number);
  const hook = (await (await admin.request.post('/api/webhooks/list', { data: {} })).json())[0];
  const attempts = async () => (await (await admin.request.post('/api/webhooks/deliveries', { data: { webhook_id: hook.id } })).json())[0].attempts;
  expect(await attempts()).toBe(1);
  await failedRow.getByRole('button', { name: 'Send again' }).click();
  // Sent again with the same delivery id: the receiver still refuses, a second attempt is recorded.
  await expect.poll(attempts, { timeout: 15_000 }).toBe(2);

  // Leave the demo as it was for the tests after this one.
  const hooks = await (await admin.request.post('/api/webhooks/list', { data: {} })).json();
  for (const h of hooks) await admin.request.post('/api/webhooks/delete', { data: { id: h.id } });
});

test('each user can turn notification email off for themselves', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  expect((await page.request.post('/api/notifications/set-preferences', { data: { email: true } })).ok()).toBeTruthy();
  await page.goto('/settings');
  await hydrated(page);
  const box = page.getByRole('checkbox', { name: /Email me about purchase orders/ });
  await expect(box).toBeChecked();
  await box.uncheck();
  await expect.poll(async () => (await (await page.request.post('/api/notifications/preferences', { data: {} })).json()).email).toBe(false);
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('checkbox', { name: /Email me about purchase orders/ })).not.toBeChecked();
  await page.getByRole('checkbox', { name: /Email me about purchase orders/ }).check();
  await expect.poll(async () => (await (await page.request.post('/api/notifications/preferences', { data: {} })).json()).email).toBe(true);
});
