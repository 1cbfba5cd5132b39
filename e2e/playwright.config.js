// Browser tests: Playwright drives Debian's Chromium against a real
// `xinjiao serve --demo` on a throwaway database. Started by scripts/test,
// which sets XINJIAO_BIN, XINJIAO_E2E_PORT and XINJIAO_E2E_DB.
const { defineConfig } = require('@playwright/test');

const port = process.env.XINJIAO_E2E_PORT || '18731';
const bin = process.env.XINJIAO_BIN || '../target/debug/xinjiao';
const db = process.env.XINJIAO_E2E_DB || 'sqlite:///tmp/xinjiao-e2e.sqlite3';

module.exports = defineConfig({
  testDir: './tests',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    locale: 'zh-CN',
    viewport: { width: 1280, height: 900 },
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: `${bin} serve --demo --addr 127.0.0.1:${port} --db ${db}`,
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'pipe',
  },
});
