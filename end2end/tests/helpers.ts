import { expect, Page } from '@playwright/test';

export const DEMO_PASSWORD = 'demo-password';

/** Waits until the page is hydrated, so that clicks reach Leptos handlers. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function signIn(page: Page, email: string, password = DEMO_PASSWORD) {
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/purchase-orders');
  await hydrated(page);
}

/** Draws a signature with the mouse. */
export async function signWithMouse(page: Page) {
  const pad = page.getByTestId('signature-pad');
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  await page.mouse.move(box.x + 20, box.y + box.height * 0.7);
  await page.mouse.down();
  for (let i = 1; i <= 24; i++) {
    await page.mouse.move(box.x + 20 + i * 12, box.y + box.height * (0.7 - 0.4 * Math.sin(i / 3)));
  }
  await page.mouse.up();
}
