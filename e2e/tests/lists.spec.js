// Issue 15 in the browser: a clerk turns a computed overload candidate into
// a proposal; a coordinator reviews it into the public notice; confirming
// during the notice is refused; on a server three weeks later the
// coordinator confirms it and the portal lists it, and a credit check names
// the measure it triggers.
const { test, expect } = require('@playwright/test');
const path = require('path');
const { spawn } = require('child_process');
const { shots, staffLogin } = require('./staff');

const port = Number(process.env.XINJIAO_E2E_PORT || '18731') + 7;
const bin = process.env.XINJIAO_BIN || '../target/debug/xinjiao';
const db = process.env.XINJIAO_E2E_DB || 'sqlite:///tmp/xinjiao-e2e.sqlite3';

function chinaDay(offsetDays) {
  const d = new Date(Date.now() + 8 * 3600_000 + offsetDays * 86400_000);
  return d.toISOString().slice(0, 10);
}

/// The same database served as of another day (serve --today).
async function serverOn(day) {
  const proc = spawn(bin, ['serve', '--today', day, '--addr', `127.0.0.1:${port}`, '--db', db,
    '--key-file', `/tmp/xinjiao-e2e-key-${port}.pem`, '--jobs-every', '3600'],
  { env: { ...process.env, XINJIAO_TEST_CLOCK: '1' }, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return proc;
    } catch (_) { /* not yet */ }
  }
  proc.kill();
  throw new Error('the later server did not start');
}

test('from a computed candidate to a listed entry on the portal, with the notice in between', async ({ browser }) => {
  // The clerk of 违章处理科 proposes a vehicle the detections put forward.
  const clerk = await (await browser.newContext()).newPage();
  await staffLogin(clerk, 'clerk');
  await clerk.goto('/console/lists');
  await expect(clerk.getByRole('heading', { name: /平台计算的候选/ })).toBeVisible();
  const row = clerk.getByRole('row').filter({ hasText: '车辆' }).filter({ has: clerk.getByRole('button', { name: '提出列入' }) }).first();
  const plate = (await row.innerText()).match(/粤P[A-Z0-9]+/)[0];
  await expect(row.getByText(/超限运输 \d+ 次/)).toBeVisible();
  await clerk.screenshot({ path: path.join(shots, 'lists-console.png'), fullPage: true });
  await row.getByRole('button', { name: '提出列入' }).click();
  await expect(clerk.getByRole('heading', { name: /名单条目 #\d+/ })).toBeVisible();
  await expect(clerk.locator('dd.entry-state')).toHaveText(/待审核/);
  const entry = new URL(clerk.url()).pathname;
  // The proposer cannot review it; a coordinator can.
  await expect(clerk.getByRole('button', { name: '审核通过，公示' })).toHaveCount(0);
  const coord = await (await browser.newContext()).newPage();
  await staffLogin(coord, 'coordinator');
  await coord.goto(entry);
  await coord.getByRole('button', { name: '审核通过，公示' }).click();
  await expect(coord.locator('dd.entry-state')).toHaveText(/公示中/);
  // Confirming during the notice is refused, naming its last day.
  await coord.getByRole('button', { name: '确认列入名单' }).click();
  await expect(coord.getByRole('alert')).toContainText(/公示期至 \d{4}-\d{2}-\d{2} 届满，届满后方可确认列入/);
  await coord.screenshot({ path: path.join(shots, 'list-entry-notice.png'), fullPage: true });
  // The public notice, open for objections.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto('/lists/overload');
  await expect(visitor.locator('#notices')).toContainText(plate);
  await expect(visitor.locator('#listed')).not.toContainText(plate);
  await visitor.screenshot({ path: path.join(shots, 'list-notice-public.png'), fullPage: true });

  // Three weeks later the notice has ended: the coordinator confirms it.
  const later = await serverOn(chinaDay(21));
  try {
    const base = `http://127.0.0.1:${port}`;
    const coordLater = await (await browser.newContext({ baseURL: base })).newPage();
    await staffLogin(coordLater, 'coordinator');
    await coordLater.goto(entry);
    await coordLater.getByRole('button', { name: '确认列入名单' }).click();
    await expect(coordLater.locator('dd.entry-state')).toHaveText(/已列入/);
    const publicLater = await (await browser.newContext({ baseURL: base })).newPage();
    await publicLater.goto('/lists/overload');
    await expect(publicLater.locator('#listed')).toContainText(plate);
    await expect(publicLater.locator('#notices')).not.toContainText(plate);
    await publicLater.screenshot({ path: path.join(shots, 'list-public.png'), fullPage: true });
    // The owner's profile shows the vehicle's entry.
    await publicLater.locator('#listed').getByRole('row').filter({ hasText: plate }).getByRole('link').click();
    await expect(publicLater.getByRole('heading', { name: '信用名单与联合奖惩措施' })).toBeVisible();
    await expect(publicLater.locator('table.lists-of-subject')).toContainText(plate);
    // A credit check of the vehicle for 信易行 names the green channel.
    await coordLater.goto('/console/credit-checks');
    await coordLater.getByLabel('主体').fill(plate);
    await coordLater.getByLabel('核查场景').selectOption('xinyixing');
    await coordLater.getByRole('button', { name: '核查' }).click();
    await expect(coordLater.locator('#check-result')).toContainText('取消鲜活农产品运输“绿色通道”通行费减免');
    await expect(coordLater.locator('textarea.receipt')).toHaveValue(/^xinjiao\/credit-check\/v1\n/);
    await coordLater.screenshot({ path: path.join(shots, 'credit-check.png'), fullPage: true });
  } finally {
    later.kill();
  }
});
