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

const penaltyHeader = '行政相对人名称,行政相对人类别,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚有效期,处罚机关,处罚机关统一社会信用代码,数据来源单位,数据来源单位统一社会信用代码';

// The city bureau's decision-authority code in config/heyuan-organisation.toml:
// the one the demo clerk (违章处理科) may submit under.
const cityBureau = '11441600MB10000024';

module.exports = { shots, staffLogin, penaltyHeader, cityBureau };
