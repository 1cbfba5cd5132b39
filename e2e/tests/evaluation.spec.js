// Issue 13 in the browser: a coordinator runs an evaluation, the
// preliminary results appear on the portal, the subject objects from its
// account, the coordinator decides the objection, and the public profile
// shows the grade with the items that lowered it.
const { test, expect } = require('@playwright/test');
const path = require('path');

const { shots, staffLogin, claimAccount } = require('./staff');

test('a coordinator grades a cycle; the subject objects; the portal shows the grade and why', async ({ browser, request }) => {
  // An organisation with an overloading penalty this year (road transport maps it: -5).
  const today = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  const year = today.getFullYear();
  const from = iso(new Date(year, 7, 15));
  const to = iso(new Date(year, 10, 1));
  const list = await (await request.get(`/api/v1/records?kind=penalty&from=${from}&to=${to}&per_page=100`)).json();
  let chosen = null;
  for (const r of list.items) {
    if (r.subject_key.startsWith('P')) continue;
    const detail = await (await request.get(`/api/v1/records/${r.id}`)).json();
    if (detail.fields.CF_WFXW === '超限运输') { chosen = r; break; }
  }
  expect(chosen).not.toBeNull();

  // The coordinator runs road transport for this year, as of today: preliminary results.
  const staff = await browser.newPage();
  await staffLogin(staff, 'coordinator');
  await staff.goto('/console/evaluations');
  await staff.locator('select[name=scheme]').selectOption('road-transport');
  await staff.locator('input[name=cycle]').fill(String(year));
  await staff.locator('input[name=as_of]').fill(iso(today));
  await staff.getByRole('button', { name: '开展评价' }).click();
  await expect(staff).toHaveURL(/\/console\/evaluations\/runs\/\d+$/);
  const run = staff.url().split('/').pop();
  const row = staff.locator('tr', { hasText: chosen.subject_key });
  await expect(row).toContainText('超限运输（-5 分');
  await expect(row.getByRole('link', { name: chosen.decision_no })).toHaveAttribute('href', `/console/records/${chosen.id}`);
  await staff.screenshot({ path: path.join(shots, 'evaluation-run.png'), fullPage: true });

  // The portal shows the run with its distribution and the subject's grade.
  const pub = await browser.newPage();
  await pub.goto('/evaluations');
  await expect(pub.getByRole('link', { name: new RegExp(`道路运输经营者信用评价 · ${year} 年度`) })).toBeVisible();
  await pub.goto(`/subjects/${chosen.subject_key}`);
  const card = pub.locator('.grade-card', { hasText: `${year} 年度` });
  await expect(card).toContainText('初评公示中');
  await expect(card).toContainText(chosen.decision_no);

  // The subject claims its account with the notice's code and objects.
  const subject = await claimAccount(browser, staff, chosen.id, chosen.subject_key);
  const mine = subject.locator('.grade-card', { hasText: `${year} 年度` }).filter({ hasText: '道路运输' });
  await mine.getByLabel('对本评价结果的异议理由').fill('该车辆超限系称重设备故障所致，已申请复核');
  await mine.getByRole('button', { name: '提出异议' }).click();
  await expect(subject.locator('.grade-card', { hasText: '已提交，待受理' })).toBeVisible();
  await subject.screenshot({ path: path.join(shots, 'evaluation-account.png'), fullPage: true });

  // The coordinator acknowledges and decides it; the subject sees the decision.
  await staff.goto('/console/evaluations/objections');
  const obj = staff.locator('tr', { hasText: '称重设备故障' });
  await obj.getByRole('button', { name: '受理' }).click();
  const obj2 = staff.locator('tr', { hasText: '称重设备故障' });
  await obj2.getByPlaceholder('理由').fill('经复核，称重设备检定合格，维持评价结果');
  await obj2.locator('select[name=action]').selectOption('reject');
  await obj2.getByRole('button', { name: '提交' }).click();
  await expect(staff.locator('tr', { hasText: '称重设备故障' })).toContainText('异议不成立');
  await subject.goto('/account');
  await expect(subject.getByText('异议：异议不成立（经复核，称重设备检定合格，维持评价结果）')).toBeVisible();

  // The public profile: the grade and the items that lowered it.
  await pub.goto(`/subjects/${chosen.subject_key}`);
  await expect(pub.locator('.grade-card', { hasText: `${year} 年度` }).first()).toContainText('扣分事项');
  await pub.screenshot({ path: path.join(shots, 'evaluation-profile.png'), fullPage: true });
  expect(run).toMatch(/^\d+$/);
});
