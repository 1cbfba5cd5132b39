// Issue 5 end to end: a subject claims its account with the notice's code,
// objects to a penalty and later applies for its repair; the coordinator
// handles both; the portal follows; the deadlines show on the dashboard.
const { test, expect } = require('@playwright/test');
const path = require('path');

const { shots, staffLogin } = require('./staff');

test('claim, object, repair: the subject and the coordinator', async ({ browser, request }) => {
  // A public penalty of an organisation, a fine only (一般: repairable after 3 months, public for 12).
  const today = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  const from = iso(new Date(today.getFullYear(), today.getMonth() - 10, 1));
  const to = iso(new Date(today.getFullYear(), today.getMonth() - 4, 1));
  const list = await (await request.get(`/api/v1/records?kind=penalty&from=${from}&to=${to}&per_page=100`)).json();
  let chosen = null;
  for (const r of list.items) {
    if (r.subject_key.startsWith('P')) continue;
    const detail = await (await request.get(`/api/v1/records/${r.id}`)).json();
    // Sectors whose minimum period reaches the maximum have no repair date
    // (rules/disclosure.toml, sector_minimums).
    const noRepair = /安全生产|危险货物|特种设备|消防/.test(detail.fields.CF_YJ + detail.fields.CF_WFXW);
    if (detail.fields.CF_CFLB === '罚款' && !noRepair) { chosen = r; break; }
  }
  expect(chosen).not.toBeNull();

  // The coordinator issues the credit-repair notice with its claim code.
  const staff = await browser.newPage();
  await staffLogin(staff, 'coordinator');
  await staff.goto(`/console/records/${chosen.id}`);
  await staff.getByRole('button', { name: /出具信用修复告知书/ }).click();
  const code = (await staff.locator('#claim-code').innerText()).trim();
  expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await staff.screenshot({ path: path.join(shots, 'notice.png'), fullPage: true });

  // The subject claims its account and objects.
  const subject = await browser.newPage();
  await subject.goto('/account/claim');
  await subject.getByLabel(/统一社会信用代码/).fill(chosen.subject_key);
  await subject.getByLabel(/激活码/).fill(code);
  await subject.getByLabel(/设置密码/).fill('a-long-password');
  await subject.getByLabel('再次输入密码').fill('a-long-password');
  await subject.getByRole('button', { name: '激活并登录' }).click();
  await expect(subject).toHaveURL(/\/account$/);
  const row = subject.locator('tr', { hasText: chosen.decision_no });
  await row.getByRole('link', { name: '提出异议' }).click();
  await subject.getByLabel('异议理由').fill('罚款已于当日缴清，处罚内容记载有误');
  await subject.getByRole('button', { name: '提交异议' }).click();
  await expect(subject.getByText('异议已提交')).toBeVisible();
  await subject.screenshot({ path: path.join(shots, 'account.png'), fullPage: true });

  // The portal marks the record at once; the dashboard shows the deadline.
  const pub = await browser.newPage();
  await pub.goto(`/records/${chosen.id}`);
  await expect(pub.getByText('异议处理中')).toBeVisible();
  await staff.goto('/console/dashboard');
  const pending = staff.locator('table.pending tr', { hasText: chosen.decision_no });
  await expect(pending).toContainText('信用异议');
  await expect(pending.locator('td').last()).toHaveText(/\d{4}-\d{2}-\d{2}/);

  // The coordinator acknowledges and rejects it with reasons.
  await staff.goto('/console/objections');
  const obj = staff.locator('tr', { hasText: chosen.decision_no });
  await obj.getByRole('button', { name: '受理' }).click();
  await obj.getByPlaceholder('理由').fill('经核查，处罚内容与决定书一致');
  await obj.locator('select[name=action]').selectOption('reject');
  await obj.getByRole('button', { name: '提交' }).click();
  await expect(staff.locator('tr', { hasText: chosen.decision_no })).toContainText('异议不成立');
  await pub.reload();
  await expect(pub.getByText('异议处理中')).toHaveCount(0);

  // Later the subject applies for repair; the coordinator approves; the record leaves the portal.
  await subject.goto('/account');
  await subject.locator('tr', { hasText: chosen.decision_no }).getByRole('link', { name: '申请修复' }).click();
  await subject.getByLabel(/履行义务/).fill('罚款已缴清，超限车辆已整改');
  await subject.getByLabel('我已阅读并作出上述承诺').check();
  await subject.getByLabel(/承诺人/).fill('张三');
  await subject.getByRole('button', { name: '提交申请' }).click();
  await expect(subject.getByText('信用修复申请已提交')).toBeVisible();
  await staff.goto('/console/repairs');
  const rep = staff.locator('tr', { hasText: chosen.decision_no });
  await rep.getByRole('button', { name: '受理' }).click();
  const rep2 = staff.locator('tr', { hasText: chosen.decision_no });
  await rep2.getByPlaceholder('理由').fill('已履行全部义务，承诺书已签署');
  await rep2.locator('select[name=action]').selectOption('approve');
  await rep2.getByRole('button', { name: '提交' }).click();
  await expect(staff.locator('tr', { hasText: chosen.decision_no })).toContainText('修复成功');
  await staff.screenshot({ path: path.join(shots, 'repairs.png'), fullPage: true });
  const gone = await request.get(`/records/${chosen.id}`);
  expect(gone.status()).toBe(404);
  await subject.goto('/account');
  await expect(subject.locator('tr', { hasText: chosen.decision_no }).first()).toBeVisible();
  await expect(subject.getByText('修复成功，已停止公示')).toBeVisible();
  // Staff still see the whole history.
  await staff.goto(`/console/records/${chosen.id}`);
  await expect(staff.getByRole('cell', { name: '准予信用修复', exact: true })).toBeVisible();
  await expect(staff.getByRole('cell', { name: '异议不成立', exact: true })).toBeVisible();
});
