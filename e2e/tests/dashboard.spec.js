// The credit coordinator's month: the three rates, and the records behind a shortfall.
const { test, expect } = require('@playwright/test');
const path = require('path');

const { shots } = require('./staff');

test('the coordinator drills from a red timeliness figure to the overdue records', async ({ page }) => {
  await page.goto('/console');
  await page.getByLabel('用户名').fill('coordinator');
  await page.getByLabel('密码').fill('xinjiao-demo');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('heading', { name: /工作台/ })).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'console-home.png'), fullPage: true });

  await page.getByRole('link', { name: '三率统计' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('三率统计');
  // This year, by department: the demo data has late publications.
  await page.getByLabel('统计周期').selectOption('year');
  await page.getByLabel('统计期').fill('2026');
  await page.getByRole('button', { name: '查看' }).click();
  await expect(page).toHaveURL(/period=year/);
  await expect(page.locator('svg.trend')).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });

  // The third rate column is the timeliness rate; a red one links to its records.
  const row = page.locator('table.rates tbody tr')
    .filter({ has: page.locator('td:nth-last-child(1).bad a') }).first();
  const red = row.locator('td:nth-last-child(1) a');
  await expect(red).toBeVisible();
  const department = (await row.locator('td').first().innerText()).trim();
  const figure = await red.innerText();
  expect(figure).not.toBe('100.0%');
  await red.click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('超期公示的记录');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(department);
  const rows = page.locator('table.drill tbody tr');
  expect(await rows.count()).toBeGreaterThan(0);
  // Every listed record belongs to the department and was published after its deadline.
  const first = rows.first();
  await expect(first.locator('td').nth(3)).toHaveText(department);
  const deadline = await first.locator('td').nth(5).innerText();
  const published = await first.locator('td').nth(6).innerText();
  expect(published > deadline).toBeTruthy();
  await page.screenshot({ path: path.join(shots, 'drill-overdue.png'), fullPage: true });

  // The record itself shows the deadline and the lateness.
  await first.getByRole('link', { name: '查看' }).click();
  await expect(page.getByText(deadline).first()).toBeVisible();

  // The public responsibility table and documents.
  await page.goto('/responsibilities');
  await expect(page.getByRole('cell', { name: '违章处理科' }).first()).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'responsibilities.png'), fullPage: true });
  await page.goto('/documents');
  await expect(page.getByRole('link', { name: /信用交通宣传月/ })).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'documents.png'), fullPage: true });
});
