// Shared by the browser tests: where screenshots go, how staff sign in, and
// the header of a penalty CSV in the national standard's column names.
const { expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');

const shots = path.join(__dirname, '..', 'screenshots');
fs.mkdirSync(shots, { recursive: true });

async function staffLogin(page, user) {
  await page.goto('/console/login');
  await page.getByLabel('用户名').fill(user);
  await page.getByLabel('密码').fill('xinjiao-demo');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByRole('heading', { name: /工作台/ })).toBeVisible();
}

// A subject activates its account: the coordinator's page `staff` issues
// the repair notice of record `recordId` with its claim code, and a new page
// claims the account of `key` with it. Returns the subject's page, signed in.
async function claimAccount(browser, staff, recordId, key) {
  await staff.goto(`/console/records/${recordId}`);
  await staff.getByRole('button', { name: /出具信用修复告知书/ }).click();
  const code = (await staff.locator('#claim-code').innerText()).trim();
  const subject = await browser.newPage();
  await subject.goto('/account/claim');
  await subject.getByLabel(/统一社会信用代码/).fill(key);
  await subject.getByLabel(/激活码/).fill(code);
  await subject.getByLabel(/设置密码/).fill('a-long-password');
  await subject.getByLabel('再次输入密码').fill('a-long-password');
  await subject.getByRole('button', { name: '激活并登录' }).click();
  await expect(subject).toHaveURL(/\/account$/);
  return subject;
}

const penaltyHeader = '行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码';

// The city bureau's decision-authority code in config/heyuan-organisation.toml:
// the one the demo clerk (违章处理科) may submit under.
const cityBureau = '11441600MB10000024';

module.exports = { shots, staffLogin, claimAccount, penaltyHeader, cityBureau };
