import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';

// The browser tests drive Debian's Chromium (never a downloaded browser)
// against the real release server binary, on a fresh SQLite database with
// the demo MSP loaded.
const port = Number(process.env.E2E_PORT ?? 3107);
const db = path.join(os.tmpdir(), `nexos-e2e-${process.pid}-${Date.now()}.db`);

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  webServer: {
    command: 'target/release/server',
    cwd: '..',
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      LEPTOS_ENV: 'PROD',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${db}`,
      NEXOS_DEMO: 'true',
      NEXOS_SUBSCRIPTION_POLL_SECONDS: '0.3',
      NEXOS_RECONCILE_GRACE_SECONDS: '0.5',
      RUST_LOG: 'warn',
    },
  },
});
