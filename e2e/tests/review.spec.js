// Issue 10 end to end: in a department that reviews before publication, a
// change to a published record waits for the coordinator; until then the
// public sees the approved version, and staff see the change side by side.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const os = require('os');
const path = require('path');

const { shots, staffLogin, penaltyHeader: header, cityBureau } = require('./staff');

const tail = `河源市交通运输局,${cityBureau},河源市交通运输局,${cityBureau}`;
const uscc = '91110000600037341L';

async function upload(page, name, yuan) {
  const row = `${name},法人及非法人组织,${uscc},河交罚〔2026〕E2E-R1号,超限运输,车辆超限,《公路安全保护条例》第六十四条,罚款,罚款${yuan}元,${yuan / 10000},2026-03-02,2026-03-09,${tail}`;
  const file = path.join(os.tmpdir(), `xinjiao-e2e-review-${process.pid}-${yuan}.csv`);
  fs.writeFileSync(file, [header, row].join('\r\n') + '\r\n');
  await page.goto('/console');
  await page.getByLabel(/文件（CSV/).setInputFiles(file);
  await page.getByRole('button', { name: '上传并校验' }).click();
  await expect(page).toHaveURL(/\/console\/submissions\/\d+/);
  fs.unlinkSync(file);
}

test('a change to a published record waits for review; the public keeps the approved version', async ({ browser }) => {
  const clerk = await browser.newPage();
  await staffLogin(clerk, 'clerk');
  await upload(clerk, '河源市审核测试运输有限公司', 2000);
  await clerk.goto(`/subjects/${uscc}`);
  await clerk.locator('td a[href^="/records/"]').first().click();
  const id = clerk.url().match(/\/records\/(\d+)/)[1];
  await expect(clerk.getByText('罚款2000元')).toBeVisible();

  // The coordinator turns review on for 违章处理科.
  const coord = await browser.newPage();
  await staffLogin(coord, 'coordinator');
  await coord.goto('/console/reviews');
  const setting = coord.locator('tr', { hasText: '违章处理科' }).last();
  await setting.getByRole('button', { name: '开启审核' }).click();
  await expect(coord.locator('tr', { hasText: '违章处理科' }).last()).toContainText('已开启');

  // The clerk corrects the fine and the name: stored, waiting.
  await upload(clerk, '河源市审核测试（新）运输有限公司', 1500);
  await expect(clerk.getByText(/待审核通过后生效/)).toBeVisible();
  await clerk.goto(`/records/${id}`);
  await expect(clerk.getByText('罚款2000元')).toBeVisible();
  await expect(clerk.getByText('罚款1500元')).toHaveCount(0);
  await clerk.goto(`/console/records/${id}`);
  await expect(clerk.getByRole('heading', { name: '待审核的修改（第 2 版）' })).toBeVisible();
  await expect(clerk.getByText(/门户网站仍公示第 1 版/)).toBeVisible();
  await clerk.screenshot({ path: path.join(shots, 'pending-change.png'), fullPage: true });

  // The coordinator sees it in the queue as a change and approves it.
  await coord.goto('/console/reviews');
  const pending = coord.locator('tr', { hasText: '河交罚〔2026〕E2E-R1号' });
  await expect(pending).toContainText('已公示记录的修改');
  await coord.screenshot({ path: path.join(shots, 'review-queue.png'), fullPage: true });
  await pending.getByRole('button', { name: '通过并公示' }).click();
  await coord.goto(`/records/${id}`);
  await expect(coord.getByText('罚款1500元')).toBeVisible();
  await coord.goto(`/console/records/${id}`);
  await expect(coord.getByText('名称「河源市审核测试运输有限公司」→「河源市审核测试（新）运输有限公司」')).toBeVisible();
  await coord.screenshot({ path: path.join(shots, 'subject-history.png'), fullPage: true });

  // Review off again, as the other tests expect.
  await coord.goto('/console/reviews');
  await coord.locator('tr', { hasText: '违章处理科' }).last().getByRole('button', { name: '关闭审核' }).click();
});
