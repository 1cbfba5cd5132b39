// Issue 17 end to end: a subject reads the integrity education material,
// acknowledges it and signs a 容缺办理型 commitment; the matter is granted;
// weeks later (a second server on the same database, its clock set past the
// deadline) staff record the missing material as supplied late; the
// subject's account and public profile show the outcome. Named to run last:
// the later server's background jobs run as of its later day.
const { test, expect } = require('@playwright/test');
const { spawn } = require('child_process');
const path = require('path');

const { shots, staffLogin, claimAccount } = require('./staff');

const iso = (d) => d.toISOString().slice(0, 10);

async function waitFor(url) {
  for (let i = 0; i < 240; i++) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch (_) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

test('education, signing, decision and a late fulfilment', async ({ browser, request, baseURL }) => {
  test.setTimeout(120_000);
  // An organisation with a public penalty that may use the commitment route:
  // not on a serious-dishonesty list, no commitment in the demo.
  const lists = await (await request.get('/api/v1/lists')).json();
  const excluded = new Set();
  for (const l of lists.items.filter((x) => x.kind === 'serious_dishonesty')) {
    const e = await (await request.get(`/api/v1/lists/${l.code}/entries`)).json();
    for (const x of [...e.notices, ...e.listed]) if (x.subject) excluded.add(x.subject);
  }
  const today = new Date();
  const from = iso(new Date(today.getFullYear(), today.getMonth() - 10, 1));
  const to = iso(new Date(today.getFullYear(), today.getMonth() - 2, 1));
  const recs = await (await request.get(`/api/v1/records?kind=penalty&from=${from}&to=${to}&per_page=100`)).json();
  let chosen = null;
  for (const r of recs.items.slice().reverse()) {
    if (r.subject_key.startsWith('P') || excluded.has(r.subject_key)) continue;
    const mine = await (await request.get(`/api/v1/commitments?subject=${r.subject_key}`)).json();
    if (mine.items.length === 0) { chosen = r; break; }
  }
  expect(chosen).not.toBeNull();

  // The coordinator gives the subject its claim code; the subject activates its account.
  const staff = await browser.newPage();
  await staffLogin(staff, 'coordinator');
  const subject = await claimAccount(browser, staff, chosen.id, chosen.subject_key);

  // The list of matters; signing before reading the education is refused with the reason.
  await subject.getByRole('link', { name: '信用承诺', exact: true }).first().click();
  await expect(subject).toHaveURL(/\/commitments$/);
  const matter = subject.locator('#matter-YS-HY-01');
  await matter.getByRole('link', { name: /签署容缺办理型承诺/ }).click();
  await expect(subject.locator('#sign-problem')).toContainText('道路运输经营者诚信经营须知');
  await subject.goto('/commitments');
  await matter.getByRole('link', { name: '道路运输经营者诚信经营须知' }).click();
  await subject.getByRole('button', { name: '我已阅读并知悉上述内容' }).click();
  await expect(subject.locator('#acknowledged')).toBeVisible();
  await subject.goto('/commitments');
  await matter.getByRole('link', { name: /签署容缺办理型承诺/ }).click();
  await expect(subject.locator('#commitment-text')).toContainText(chosen.subject_name);
  await subject.screenshot({ path: path.join(shots, 'commitment-sign.png'), fullPage: true });
  await subject.getByLabel(/我已阅读上述承诺书/).check();
  await subject.getByRole('button', { name: '签署承诺' }).click();
  await expect(subject).toHaveURL(/\/account/);
  const mine = subject.locator('#my-commitments tr', { hasText: '容缺办理型' });
  await expect(mine).toContainText('已签署，待办结');

  // The department grants the matter today: the deadline starts.
  await staff.goto('/console/commitments?view=signed');
  await staff.locator('#commitments tr', { hasText: chosen.subject_name }).getByRole('link').first().click();
  const id = staff.url().split('/').pop();
  await staff.getByLabel(/准予办理/).check();
  await staff.getByLabel('说明').fill('容缺受理，准予许可');
  await staff.getByRole('button', { name: '记录办结' }).click();
  await expect(staff.locator('#commitment-state')).toHaveText('履行中');
  const due = (await (await request.get(`/api/v1/commitments?subject=${chosen.subject_key}`)).json()).items;
  expect(due.length).toBe(0); // not public while in force (an approval type)
  const dueText = await staff.locator('#commitment-facts dd', { hasText: /^\d{4}-\d{2}-\d{2}$/ }).last().innerText();
  const dueDay = new Date(`${dueText.trim()}T00:00:00Z`);

  // Weeks later: the material came in two days after the deadline.
  const later = new Date(dueDay.getTime() + 5 * 86400_000);
  const supplied = iso(new Date(dueDay.getTime() + 2 * 86400_000));
  const port = String(Number(process.env.XINJIAO_E2E_PORT || '18731') + 1);
  const db = process.env.XINJIAO_E2E_DB || 'sqlite:///tmp/xinjiao-e2e.sqlite3';
  const bin = process.env.XINJIAO_BIN || '../target/debug/xinjiao';
  const server = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--db', db, '--today', iso(later),
    '--public-url', baseURL, '--jobs-every', '86400'],
  { env: { ...process.env, XINJIAO_TEST_CLOCK: '1' }, stdio: 'ignore' });
  try {
    const there = `http://127.0.0.1:${port}`;
    await waitFor(`${there}/healthz`);
    const staff2 = await browser.newPage({ baseURL: there });
    await staffLogin(staff2, 'coordinator');
    await staff2.goto(`/console/commitments/${id}`);
    await expect(staff2.locator('#commitment-facts')).toContainText('已逾期');
    await staff2.getByLabel(/已履行/).check();
    await staff2.getByLabel(/认定日期/).fill(supplied);
    await staff2.getByLabel('核查情况').fill('申请人逾期补交车辆技术等级评定证明');
    await staff2.getByRole('button', { name: '记录核查结论' }).click();
    await expect(staff2.locator('#commitment-state')).toHaveText('逾期履行');
    await staff2.screenshot({ path: path.join(shots, 'commitment-console.png'), fullPage: true });

    // The account and the public profile show the outcome.
    const subject2 = await browser.newPage({ baseURL: there });
    await subject2.goto('/account/login');
    await subject2.getByLabel(/统一社会信用代码/).fill(chosen.subject_key);
    await subject2.getByLabel('密码').fill('a-long-password');
    await subject2.getByRole('button', { name: '登录' }).click();
    await expect(subject2.locator('#my-commitments tr', { hasText: '容缺办理型' })).toContainText('逾期履行');
    await subject2.screenshot({ path: path.join(shots, 'commitment-account.png'), fullPage: true });
    const pub = await browser.newPage({ baseURL: there });
    await pub.goto(`/subjects/${chosen.subject_key}`);
    const row = pub.locator('#public-commitments tr', { hasText: '容缺办理型' });
    await expect(row).toContainText('逾期履行');
    await expect(row).toContainText(supplied);
    await pub.screenshot({ path: path.join(shots, 'commitment-profile.png'), fullPage: true });
  } finally {
    server.kill();
  }
});
