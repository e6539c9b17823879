import { test, expect } from '@playwright/test';
import { hydrated, signIn } from './helpers';

test('pages need sign-in, and a wrong password gets a clear message', async ({ page }) => {
  await page.goto('/companies');
  await expect(page).toHaveURL(/\/login\?next=\/companies/);
  await hydrated(page);
  await page.getByLabel('Email').fill('admin@demo.msp');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('The email or password is not right.');
  await page.getByLabel('Password').fill('demo-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/companies');
  await expect(page.getByRole('heading', { name: 'Companies' })).toBeVisible();
});

test('the shell shows the user and role, navigates, and signs out', async ({ page }) => {
  await signIn(page, 'approver@demo.msp');
  await expect(page.getByTestId('who')).toContainText('Avery Approver');
  await expect(page.getByTestId('who')).toContainText('Approver');
  for (const [name, heading] of [['Vendors', 'Vendors'], ['Products', 'Products'], ['Contracts', 'Contracts'], ['Procurement', 'Procurement'], ['Settings', 'Settings'], ['Purchase orders', 'Purchase orders']]) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
    await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  }
  // An approver cannot change the catalog: no form to add a vendor.
  await page.goto('/vendors');
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'New vendor' })).toHaveCount(0);
  await page.getByTestId('sign-out').click();
  await page.waitForURL('**/login');
  await page.goto('/purchase-orders');
  await expect(page).toHaveURL(/\/login/);
});

test('a purchaser creates a company (hydrated form), finds it, and adds a ticket', async ({ page }) => {
  await signIn(page, 'purchaser@demo.msp');
  await page.goto('/companies');
  await hydrated(page);
  // Bad input: a clear message naming the field, nothing created.
  await page.getByRole('button', { name: 'Add company' }).click();
  await expect(page.locator('[data-field="name"]')).toHaveText('Name is required.');
  await page.getByLabel('Name').fill('Lakeside Veterinary');
  await page.getByLabel(/Pax8 company id/).fill('9f8e7d6c-lake-side-0001');
  await page.getByRole('button', { name: 'Add company' }).click();
  await expect(page.getByTestId('companies')).toContainText('Lakeside Veterinary');
  await page.getByRole('searchbox', { name: 'Search companies' }).fill('lakeside');
  await expect(page.getByTestId('companies').locator('tbody tr')).toHaveCount(1);
  await page.getByRole('link', { name: 'Lakeside Veterinary' }).click();
  await expect(page.getByTestId('pax8-id')).toHaveText('9f8e7d6c-lake-side-0001');
  await hydrated(page);
  await page.getByLabel('New ticket').fill('Two laptops for the new clinic');
  await page.getByRole('button', { name: 'Add ticket' }).click();
  await expect(page.getByTestId('tickets')).toContainText('Two laptops for the new clinic');
});

test('catalog: a Pax8 product with terms, and a contract line', async ({ page }) => {
  await signIn(page, 'admin@demo.msp');
  await page.goto('/products');
  await hydrated(page);
  await page.locator('select[name="vendor_id"]').selectOption({ label: 'Pax8' });
  await page.getByLabel('Name', { exact: true }).fill('Microsoft Defender for Business');
  await page.getByLabel('SKU').fill('MST-DFB');
  await page.getByLabel('Unit cost ($)').fill('3');
  await page.getByText('Distributor details').click();
  await page.getByLabel('Distributor product id').fill('d3f3nd3r-0000-4000-8000-000000000009');
  await page.locator('select[name="billing_term"]').selectOption('Monthly');
  await page.getByRole('button', { name: 'Add product' }).click();
  await expect(page.getByTestId('products')).toContainText('Microsoft Defender for Business');
  await expect(page.getByTestId('products')).toContainText('$3.00');

  await page.goto('/contracts');
  await page.getByRole('link', { name: 'Managed Microsoft 365' }).click();
  await expect(page.getByTestId('contract-lines').locator('tbody tr')).toHaveCount(2);
  await hydrated(page);
  await page.locator('select[name="product_id"]').selectOption({ label: 'Microsoft Defender for Business' });
  await expect(page.getByLabel('Description')).toHaveValue('Microsoft Defender for Business');
  await page.getByLabel('Quantity').fill('0');
  await page.getByLabel('Unit price ($)').fill('4.50');
  await page.getByRole('button', { name: 'Add line' }).click();
  await expect(page.locator('[data-field="quantity"]')).toContainText('at least 1');
  await page.getByLabel('Quantity').fill('25');
  await page.getByRole('button', { name: 'Add line' }).click();
  await expect(page.getByTestId('contract-lines').locator('tbody tr')).toHaveCount(3);
  await expect(page.getByTestId('contract-lines')).toContainText('Pending');
});

test('admins manage users; everyone manages their API tokens', async ({ page, request }) => {
  await signIn(page, 'admin@demo.msp');
  await page.goto('/settings');
  await hydrated(page);
  const users = page.getByTestId('users');
  await expect(users).toHaveAttribute('data-ready', 'true');
  await users.getByLabel('Name').fill('Jordan Field');
  await users.getByLabel('Email').fill('jordan@demo.msp');
  await users.getByLabel('Password').fill('jordan-password');
  await users.locator('select[name="user_role"]').selectOption('purchaser');
  await users.getByRole('button', { name: 'Add user' }).click();
  const row = users.locator('tr[data-email="jordan@demo.msp"]');
  await expect(row).toContainText('Active');
  await row.getByRole('button', { name: 'Deactivate' }).click();
  await expect(row).toContainText('Deactivated');

  const tokens = page.getByTestId('tokens');
  await expect(tokens).toHaveAttribute('data-ready', 'true');
  await tokens.getByLabel('Token name').fill('nightly export');
  await tokens.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').textContent())!.trim();
  expect(token).toMatch(/^nxs_/);
  const me = await request.post('/api/auth/me', { data: {}, headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe('admin@demo.msp');
  await tokens.getByRole('button', { name: 'Revoke' }).click();
  await expect(tokens).toContainText('No tokens.');
  const after = await request.post('/api/auth/me', { data: {}, headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
});

test('on a tablet the menu folds away and opens with a tap', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 768, height: 1024 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await signIn(page, 'tech@demo.msp');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav).not.toBeInViewport();
  await page.getByRole('button', { name: 'Menu' }).tap();
  await expect(nav).toBeInViewport();
  await nav.getByRole('link', { name: 'Companies' }).tap();
  await expect(page.getByRole('heading', { name: 'Companies' })).toBeVisible();
  await expect(nav).not.toBeInViewport();
  await context.close();
});

test('unknown pages answer 404 with a way back', async ({ page }) => {
  await signIn(page, 'viewer@demo.msp');
  const res = await page.goto('/no-such-page');
  expect(res!.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

