// The flows a person does on the portal and in the console.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');
const os = require('os');

const { shots, penaltyHeader, cityBureau } = require('./staff');

test('search a 2-character name fragment, open the profile, then a penalty', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByText('演示数据')).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'home.png'), fullPage: true });
  await page.getByRole('searchbox').fill('顺达');
  await page.getByRole('button', { name: '查询' }).click();
  await expect(page).toHaveURL(/\/search\?q=/);
  // A subject with penalties (the result line counts them).
  const first = page.locator('ul.subjects li').filter({ hasText: /行政处罚 [1-9]\d* 条/ }).locator('a.subject-name').first();
  const name = await first.innerText();
  expect(name).toContain('顺达');
  await first.click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(page.getByRole('heading', { name: /行政处罚（\d+）/ })).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'profile.png'), fullPage: true });
  const penaltyLink = page.locator('section', { has: page.getByRole('heading', { name: /行政处罚/ }) }).locator('td a[href^="/records/"]').first();
  const decisionNo = await penaltyLink.innerText();
  await penaltyLink.click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(decisionNo);
  await expect(page.getByRole('rowheader', { name: '处罚决定日期' })).toBeVisible();
  await expect(page.getByRole('rowheader', { name: '行政相对人名称' })).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'penalty.png'), fullPage: true });
});

test('a clerk uploads a file with bad rows and sees the diagnostics table', async ({ page }) => {
  const header = penaltyHeader;
  const tail = `河源市交通运输局,${cityBureau},河源市交通运输局,${cityBureau}`;
  const rows = [
    `河源市测试运输有限公司,法人及非法人组织,91350100M000100Y43,河交罚〔2026〕E2E-1号,超限运输,车辆超限,《公路安全保护条例》第六十四条,罚款,罚款2000元,0.2,2026-03-02,2026-03-09,${tail}`,
    `河源市错码运输有限公司,法人及非法人组织,91110000100000000X,河交罚〔2026〕E2E-2号,超限运输,车辆超限,《公路安全保护条例》第六十四条,罚款,罚款2000元,0.2,2026-03-02,2026-03-09,${tail}`,
    `河源市漏填运输有限公司,法人及非法人组织,91110000600037341L,河交罚〔2026〕E2E-3号,超限运输,车辆超限,《公路安全保护条例》第六十四条,罚款,罚款2000元,,2026/3/2,2026/3/9,${tail}`,
  ];
  const file = path.join(os.tmpdir(), `xinjiao-e2e-${process.pid}.csv`);
  fs.writeFileSync(file, [header, ...rows].join('\r\n') + '\r\n');

  await page.goto('/console');
  await expect(page).toHaveURL(/\/console\/login/);
  await page.getByLabel('用户名').fill('clerk');
  await page.getByLabel('密码').fill('xinjiao-demo');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('heading', { name: /工作台/ })).toBeVisible();
  await page.getByLabel(/文件（CSV/).setInputFiles(file);
  await page.getByRole('button', { name: '上传并校验' }).click();
  await expect(page).toHaveURL(/\/console\/submissions\/\d+/);
  const table = page.locator('table.diagnostics');
  await expect(table).toBeVisible();
  await expect(table.locator('tbody tr')).toHaveCount(2);
  await expect(table.locator('tbody tr').nth(0)).toContainText('3');
  await expect(table.locator('tbody tr').nth(0)).toContainText('uscc.check_digit');
  await expect(table.locator('tbody tr').nth(1)).toContainText('CF_NR_FK');
  await expect(page.getByText('新增或更新')).toBeVisible();
  await page.screenshot({ path: path.join(shots, 'diagnostics.png'), fullPage: true });

  // The accepted row is public at once.
  await page.goto('/search?q=' + encodeURIComponent('测试运输'));
  await expect(page.locator('ul.subjects a.subject-name')).toHaveText(['河源市测试运输有限公司']);
  fs.unlinkSync(file);
});
