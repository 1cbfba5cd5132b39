// A member of the public downloads a record's proof bundle and a subject's
// credit report, and verifies both on /verify (issue 16).
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');
const os = require('os');

const { shots, staffLogin } = require('./staff');

test('download a proof bundle and a credit report, verify both', async ({ page }) => {
  await page.goto('/search?q=运输');
  const first = page.locator('ul.subjects li').filter({ hasText: /行政处罚 [1-9]\d* 条/ }).locator('a.subject-name').first();
  const name = await first.innerText();
  await first.click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  const subjectUrl = page.url();

  // The record's proof bundle.
  await page.locator('section', { has: page.getByRole('heading', { name: /行政处罚/ }) }).locator('td a[href^="/records/"]').first().click();
  const [bundleDownload] = await Promise.all([page.waitForEvent('download'), page.locator('#proof-download').click()]);
  const bundle = path.join(os.tmpdir(), `xinjiao-e2e-${process.pid}.proof.json`);
  await bundleDownload.saveAs(bundle);
  expect(JSON.parse(fs.readFileSync(bundle, 'utf8')).format).toBe('xinjiao-proof-bundle/1');

  // The subject's public credit report.
  await page.goto(subjectUrl);
  await expect(page.getByRole('heading', { name: '信用报告' })).toBeVisible();
  const [reportDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: '下载信用报告（PDF，公开版）' }).click(),
  ]);
  const report = path.join(os.tmpdir(), `xinjiao-e2e-${process.pid}.pdf`);
  await reportDownload.saveAs(report);
  expect(fs.readFileSync(report).subarray(0, 5).toString()).toBe('%PDF-');
  const number = reportDownload.suggestedFilename().replace(/^xinjiao-report-/, '').replace(/\.pdf$/, '');
  expect(number).toMatch(/^XJ-\d{8}-[0-9A-F]{8}$/);

  // Both verified on /verify.
  await page.goto('/verify');
  await page.getByLabel(/信用报告 PDF 或证明包/).setInputFiles(bundle);
  await page.getByRole('button', { name: '上传并核验' }).click();
  await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'genuine');
  await expect(page.locator('#verdict')).toContainText('证明有效');
  await expect(page.locator('#verdict')).toContainText(/记录(公示|更正)/);

  await page.getByLabel(/信用报告 PDF 或证明包/).setInputFiles(report);
  await page.getByRole('button', { name: '上传并核验' }).click();
  await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'genuine');
  await expect(page.locator('#verdict')).toHaveAttribute('data-latest', 'true');
  await expect(page.locator('#verdict')).toContainText(number);
  await expect(page.locator('#latest')).toContainText('是最新的');
  await page.screenshot({ path: path.join(shots, 'verify-report.png'), fullPage: true });

  // By its number, as the QR code leads there.
  await page.getByLabel('报告编号').fill(number);
  await page.getByRole('button', { name: '核验编号' }).click();
  await expect(page).toHaveURL(new RegExp(`/verify\\?number=${number}`));
  await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'genuine');

  // A file changed by one byte is not taken for the report.
  const changed = fs.readFileSync(report);
  changed[changed.length >> 1] ^= 1;
  const forged = path.join(os.tmpdir(), `xinjiao-e2e-${process.pid}-forged.pdf`);
  fs.writeFileSync(forged, changed);
  await page.getByLabel(/信用报告 PDF 或证明包/).setInputFiles(forged);
  await page.getByRole('button', { name: '上传并核验' }).click();
  await expect(page.locator('#verdict')).toHaveAttribute('data-verdict', 'invalid');
  await expect(page.locator('#verdict')).toContainText('不能证实');
});

test('an administrator watches an installation\'s log and a coordinator audits it', async ({ page, request }) => {
  // The installation watches itself here: any address serving /log/ will do.
  const vkey = (await (await request.get('/log/key')).text()).trim();
  await staffLogin(page, 'admin');
  const origin = new URL(page.url()).origin;
  await page.getByRole('link', { name: '透明日志监测' }).first().click();
  await expect(page.getByRole('heading', { name: '透明日志监测', level: 1 })).toBeVisible();
  await page.getByLabel('平台名称').fill('本平台（自检）');
  await page.getByLabel('平台地址').fill(origin);
  await page.getByLabel(/对方公钥/).fill(vkey);
  await page.getByRole('button', { name: '开始监测' }).click();
  const row = page.locator('#peers tbody tr').filter({ hasText: '本平台（自检）' });
  await expect(row).toHaveAttribute('data-status', 'new');
  await row.getByRole('button', { name: '立即审计' }).click();
  await expect(row).toHaveAttribute('data-status', 'ok');
  await expect(row).toContainText(/一致：日志共 \d+ 条/);
  await page.screenshot({ path: path.join(shots, 'log-peers.png'), fullPage: true });
});
