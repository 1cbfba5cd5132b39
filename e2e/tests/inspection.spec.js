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
