// Issue 14 in the browser: a coordinator plans a "双随机" draw on the
// console, enters the public value and runs it; the public draw page shows
// the revealed secret and the drawn subjects, and its JSON recomputes.
const { test, expect } = require('@playwright/test');
const path = require('path');
const { shots, staffLogin } = require('./staff');

test('a coordinator plans and runs a draw; the portal shows it and how to check it', async ({ page, request }) => {
  await staffLogin(page, 'coordinator');
  await page.goto('/console/inspections');
  await expect(page.getByRole('heading', { name: '双随机抽查', exact: true })).toBeVisible();
  await page.getByLabel('抽查事项').selectOption('HY-SJ-01');
  await page.getByLabel(/调整比例/).fill('A=10');
  await page.getByLabel(/将混入的公开值/).fill('2026-12-08 福彩双色球开奖号码');
  await page.getByRole('button', { name: '制定并公布计划' }).click();
  await expect(page.getByRole('heading', { name: /号抽查：道路运输经营者经营行为检查/ })).toBeVisible();
  await expect(page.getByText('尚未抽取')).toBeVisible();
  await expect(page.getByText('本计划调整')).toBeVisible();
  const id = page.url().split('/').pop();
  await page.screenshot({ path: path.join(shots, 'inspection-plan.png'), fullPage: true });

  // The console: the plan waits for its public value; the coordinator runs it.
  await page.goto('/console/inspections');
  const row = page.getByRole('row').filter({ hasText: `第 ${id} 号` });
  await row.getByLabel(/公开值/).fill('02 07 15 21 24 32 + 05');
  await row.getByRole('button', { name: '抽取' }).click();
  await expect(page.getByText('秘密值（已揭示）')).toBeVisible();
  await expect(page.getByText('02 07 15 21 24 32 + 05')).toBeVisible();
  const drawnRows = page.locator('table').last().locator('tbody tr');
  expect(await drawnRows.count()).toBeGreaterThan(0);
  await page.screenshot({ path: path.join(shots, 'inspection-draw.png'), fullPage: true });

  // The published JSON: the secret matches the commitment made before.
  const v = await (await request.get(`/api/v1/draws/${id}`)).json();
  const crypto = require('crypto');
  expect(crypto.createHash('sha256').update(v.secret).digest('hex')).toBe(v.commitment);
  expect(v.drawn.length).toBe(await drawnRows.count());

  // The public list.
  await page.goto('/inspections');
  await expect(page.getByRole('link', { name: `第 ${id} 号` })).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'inspections.png'), fullPage: true });
});

test('an inspector enters a result; a warning reaches the department, which acknowledges and answers it', async ({ browser }) => {
  // The inspector of the matter's department (科技信息科) enters a result of draw 1.
  const inspector = await (await browser.newContext()).newPage();
  await staffLogin(inspector, 'inspector');
  await expect(inspector.getByText(/第 1 号抽查.*待录入检查结果/)).toBeVisible();
  await inspector.goto('/console/inspections/draws/1');
  const form = inspector.locator('form[action="/console/inspections/draws/1"]').first();
  const code = await form.locator('input[name=subject]').inputValue();
  await form.getByLabel('结果').selectOption('rectification');
  await form.getByLabel('发现的问题').fill('车辆灭火器过期，责令五个工作日内整改');
  await form.getByRole('button', { name: '录入并公开' }).click();
  await expect(inspector.getByText('车辆灭火器过期，责令五个工作日内整改')).toBeVisible();
  await inspector.goto('/inspections/draws/1');
  const row = inspector.getByRole('row').filter({ hasText: code });
  await expect(row.getByText('发现问题，责令整改')).toBeVisible();
  await inspector.screenshot({ path: path.join(shots, 'inspection-result.png'), fullPage: true });

  // The daily run has raised warnings for 违章处理科: its clerk sees them on
  // the start page and in the list, acknowledges one and records the feedback.
  const clerk = await (await browser.newContext()).newPage();
  await staffLogin(clerk, 'clerk');
  await expect(clerk.getByRole('link', { name: /条信用风险预警待签收/ })).toBeVisible();
  await clerk.getByRole('link', { name: /条信用风险预警待签收/ }).click();
  await expect(clerk.getByRole('heading', { name: '信用风险预警' })).toBeVisible();
  await clerk.screenshot({ path: path.join(shots, 'warnings.png'), fullPage: true });
  const first = clerk.locator('table tbody tr').first().getByRole('link', { name: /^#\d+$/ });
  const id = (await first.textContent()).slice(1);
  await first.click();
  await clerk.getByRole('button', { name: '签收' }).click();
  await expect(clerk.locator('.warning-state')).toHaveText('已签收，待反馈');
  await clerk.getByLabel(/处置反馈/).fill('已约谈企业负责人，列入下月重点检查对象');
  await clerk.getByRole('button', { name: '提交反馈' }).click();
  await expect(clerk.locator('.warning-state')).toHaveText('已反馈');
  await expect(clerk.getByText('已约谈企业负责人，列入下月重点检查对象')).toBeVisible();
  await clerk.screenshot({ path: path.join(shots, 'warning.png'), fullPage: true });

  // Another department cannot see it; the administrator sees the daily runs and the outbox.
  const other = await (await browser.newContext()).newPage();
  await staffLogin(other, 'dongyuan');
  const refused = await other.goto(`/console/warnings/${id}`);
  expect(refused.status()).toBe(403);
  const admin = await (await browser.newContext()).newPage();
  await staffLogin(admin, 'admin');
  await admin.goto('/console/reminders');
  await expect(admin.getByRole('heading', { name: '每日监测运行' })).toBeVisible();
  await admin.screenshot({ path: path.join(shots, 'reminders.png'), fullPage: true });
});
