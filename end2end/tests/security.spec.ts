import { test, expect } from '@playwright/test';
import * as http from 'http';
import { AddressInfo } from 'net';
import { hydrated, signIn } from './helpers';

/** A page on another origin (a second local port) that attacks the app. */
async function attacker(app: string): Promise<{ url: string; close: () => void }> {
  const html = `<!doctype html><html><body>
    <form id="f" method="POST" action="${app}/api/companies/create" enctype="text/plain">
      <input name='{"name":"Evil Form Co","x":"' value='"}'>
    </form>
    <script>
      fetch("${app}/api/companies/create", { method: "POST", mode: "no-cors", credentials: "include",
        headers: { "content-type": "text/plain" }, body: JSON.stringify({ name: "Evil Fetch Co" }) })
        .finally(() => { document.title = "fetched"; document.getElementById("f").submit(); });
    </script></body></html>`;
  const server = http.createServer((_, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end(html); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

test('a page on another origin cannot make the signed-in browser change anything', async ({ page, baseURL }) => {
  await signIn(page, 'purchaser@demo.msp');
  const evil = await attacker(baseURL!);
  try {
    await page.goto(evil.url);
    // The form lands on the app's refusal.
    await expect(page.locator('body')).toContainText('cross_site', { timeout: 10_000 });
  } finally {
    evil.close();
  }
  const list = await (await page.request.post('/api/companies/list', { data: { q: 'evil' } })).json();
  expect(list).toEqual([]);
  // The app's own pages still work with the same cookie.
  await page.goto('/companies');
  await hydrated(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Companies');
});

test('after sign-in, next never leads to another site', async ({ page }) => {
  for (const next of ['/%5Cevil.example', '/%09/evil.example', '//evil.example']) {
    await page.context().clearCookies();
    await page.goto(`/login?next=${next}`);
    await hydrated(page);
    await page.getByLabel('Email').fill('viewer@demo.msp');
    await page.getByLabel('Password').fill('demo-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/purchase-orders');
    expect(page.url()).not.toContain('evil');
  }
  // A path of this site is kept.
  await page.context().clearCookies();
  await page.goto('/login?next=/procurement');
  await hydrated(page);
  await page.getByLabel('Email').fill('viewer@demo.msp');
  await page.getByLabel('Password').fill('demo-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/procurement');
});

test('the Content-Security-Policy lets every page hydrate, with no violation', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
  page.on('pageerror', (e) => violations.push(String(e)));
  await signIn(page, 'admin@demo.msp');
  for (const path of ['/purchase-orders', '/purchase-orders/new', '/procurement', '/companies', '/products', '/settings']) {
    const res = await page.goto(path);
    expect(res!.headers()['content-security-policy']).toContain("'nonce-");
    await hydrated(page);
  }
  const first = await (await page.request.post('/api/purchase-orders/list', { data: { limit: 1 } })).json();
  if (first.items.length) {
    await page.goto(`/purchase-orders/${first.items[0].id}`);
    await hydrated(page);
  }
  expect(violations).toEqual([]);
});
