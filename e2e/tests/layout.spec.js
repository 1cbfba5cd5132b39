// Every public page and the main staff pages at a phone's width (390 × 844)
// and a laptop's (1366 × 768), staff pages also at a tablet's (820 × 1180): the page never scrolls sideways, and no two
// visible elements (links, buttons, fields, headings, labels, badges) overlap,
// checked from their boxes. Screenshots of each go to e2e/screenshots/layout.
const { test, expect } = require('@playwright/test');
const fs = require('fs');
const path = require('path');

const { shots, staffLogin } = require('./staff');

const layoutShots = path.join(shots, 'layout');
fs.mkdirSync(layoutShots, { recursive: true });

const viewports = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1366, height: 768 },
];

// What the page shows that a person would notice as broken: a sideways
// scroll of the whole page, or two elements drawn over each other.
async function layoutFaults(page) {
  return page.evaluate(() => {
    const doc = document.scrollingElement;
    const faults = [];
    if (doc.scrollWidth > doc.clientWidth) {
      faults.push(`page scrolls sideways: ${doc.scrollWidth} > ${doc.clientWidth}`);
    }
    const sel = [
      'header a', 'header button', 'header .account', 'nav a', '.demo-banner',
      'main h1', 'main h2', 'main a', 'main button', 'main input', 'main select',
      'main textarea', 'main label', 'main .tag', 'main .badge', 'main .crumbs',
    ].join(',');
    // Not drawn: display none, hidden, or inside a closed <details>.
    const shown = (el) => el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true });
    const name = (el) => {
      const text = (el.innerText || el.value || el.getAttribute('placeholder') || '').trim().slice(0, 24);
      return `${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''}「${text}」`;
    };
    const boxes = [];
    for (const el of document.querySelectorAll(sel)) {
      if (!shown(el)) continue;
      for (const r of el.getClientRects()) {
        if (r.width > 2 && r.height > 2) boxes.push({ el, r });
      }
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i];
        const b = boxes[j];
        if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
        const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (w > 2 && h > 2) faults.push(`${name(a.el)} overlaps ${name(b.el)}`);
        if (faults.length > 10) return faults;
      }
    }
    return faults;
  });
}

const tablet = { name: 'tablet', width: 820, height: 1180 };

// Checks `url` at both widths (and a tablet's, for staff pages) with `page`
// (already signed in where needed).
async function check(page, key, url, extra = []) {
  for (const vp of viewports.concat(extra)) {
    await page.setViewportSize({ width: vp.width, height: vp.height });
    const resp = await page.goto(url);
    expect(resp.status(), `${url} answers`).toBeLessThan(400);
    await page.screenshot({ path: path.join(layoutShots, `${key}-${vp.name}.png`), fullPage: true });
    expect(await layoutFaults(page), `${url} at ${vp.width}px`).toEqual([]);
  }
}

test('public pages read well on a phone and a laptop', async ({ page, request }) => {
  const list = await (await request.get('/api/v1/records?kind=penalty&per_page=5')).json();
  const penalty = list.items[0];
  const licenses = await (await request.get('/api/v1/records?kind=license&per_page=1')).json();
  await page.goto('/documents');
  const doc = await page.locator('a[href^="/documents/"]').first().getAttribute('href');
  const pages = [
    ['home', '/'],
    ['search', '/search?q=' + encodeURIComponent('顺达')],
    ['search-empty', '/search'],
    ['disclosures', '/disclosures'],
    ['penalties', '/disclosures?kind=penalty'],
    ['profile', `/subjects/${penalty.subject_key}`],
    ['penalty', `/records/${penalty.id}`],
    ['license', `/records/${licenses.items[0].id}`],
    ['documents', '/documents'],
    ['document', doc],
    ['responsibilities', '/responsibilities'],
    ['evaluations', '/evaluations'],
    ['inspections', '/inspections'],
    ['draw', '/inspections/draws/1'],
    ['draw-planned', '/inspections/draws/2'],
    ['lists', '/lists'],
    ['list-overload', '/lists/overload'],
    ['list-transport', '/lists/transport'],
    ['measures', '/measures'],
    ['rules', '/rules'],
    ['log', '/log'],
    ['verify', '/verify'],
    ['commitments', '/commitments'],
    ['education', '/commitments/education/EDU-FREIGHT'],
    ['commitments-public', '/commitments/public'],
    ['account-login', '/account/login'],
    ['claim', '/account/claim'],
    ['staff-login', '/console/login'],
    ['not-found', '/no-such-page'],
  ];
  for (const [key, url] of pages) {
    if (key === 'not-found') {
      await page.setViewportSize({ width: 390, height: 844 });
      const resp = await page.goto(url);
      expect(resp.status()).toBe(404);
      expect(await layoutFaults(page), url).toEqual([]);
      continue;
    }
    await check(page, key, url);
  }
  // On a phone the navigation opens from its menu button.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/');
  const nav = page.getByRole('navigation', { name: '主导航' });
  await expect(nav).toBeHidden();
  await page.getByRole('button', { name: '菜单' }).click();
  await expect(nav.getByRole('link', { name: '行政处罚' })).toBeVisible();
  expect(await layoutFaults(page)).toEqual([]);
  await page.screenshot({ path: path.join(layoutShots, 'menu-phone.png'), fullPage: true });
});

test('the subject account and its forms read well on a phone and a laptop', async ({ browser, request }) => {
  // A fine-only penalty of an organisation, 4 to 10 months old (repairable,
  // still public); the last one listed, so as not to meet the lifecycle test's.
  const today = new Date();
  const iso = (d) => d.toISOString().slice(0, 10);
  const from = iso(new Date(today.getFullYear(), today.getMonth() - 10, 1));
  const to = iso(new Date(today.getFullYear(), today.getMonth() - 4, 1));
  const list = await (await request.get(`/api/v1/records?kind=penalty&from=${from}&to=${to}&per_page=100`)).json();
  let chosen = null;
  for (const r of list.items.slice().reverse()) {
    if (r.subject_key.startsWith('P')) continue;
    const detail = await (await request.get(`/api/v1/records/${r.id}`)).json();
    // Sectors whose minimum period reaches the maximum have no repair date
    // (rules/disclosure.toml, sector_minimums).
    const noRepair = /安全生产|危险货物|特种设备|消防/.test(detail.fields.CF_YJ + detail.fields.CF_WFXW);
    if (detail.fields.CF_CFLB === '罚款' && !noRepair) { chosen = r; break; }
  }
  expect(chosen).not.toBeNull();
  const staff = await browser.newPage();
  await staffLogin(staff, 'coordinator');
  await staff.goto(`/console/records/${chosen.id}`);
  await staff.getByRole('button', { name: /出具信用修复告知书/ }).click();
  const code = (await staff.locator('#claim-code').innerText()).trim();
  await check(staff, 'notice', staff.url());

  const subject = await browser.newPage();
  await subject.goto('/account/claim');
  await subject.getByLabel(/统一社会信用代码/).fill(chosen.subject_key);
  await subject.getByLabel(/激活码/).fill(code);
  await subject.getByLabel(/设置密码/).fill('a-long-password');
  await subject.getByLabel('再次输入密码').fill('a-long-password');
  await subject.getByRole('button', { name: '激活并登录' }).click();
  await expect(subject).toHaveURL(/\/account$/);
  await check(subject, 'account', '/account');
  await check(subject, 'objection-form', `/account/records/${chosen.id}/objection`);
  await check(subject, 'repair-form', `/account/records/${chosen.id}/repair`);
});

test('the main staff pages work on a phone and a laptop', async ({ page, request }) => {
  const list = await (await request.get('/api/v1/records?kind=penalty&per_page=1')).json();
  await staffLogin(page, 'admin');
  const pages = [
    ['console', '/console'],
    ['reviews', '/console/reviews'],
    ['objections', '/console/objections'],
    ['repairs', '/console/repairs'],
    ['dashboard', '/console/dashboard'],
    ['declarations', '/console/declarations'],
    ['record-form', '/console/records/new?kind=penalty'],
    ['staff-record', `/console/records/${list.items[0].id}`],
    ['documents-console', '/console/documents'],
    ['responsibilities-form', '/console/responsibilities'],
    ['subject-accounts', '/console/subject-accounts'],
    ['tokens', '/console/tokens'],
    ['calendar', '/console/calendar'],
    ['evaluations-console', '/console/evaluations'],
    ['inspections-console', '/console/inspections'],
    ['inspection-results', '/console/inspections/draws/1'],
    ['warnings-console', '/console/warnings'],
    ['lists-console', '/console/lists'],
    ['list-entry', '/console/lists/entries/1'],
    ['credit-checks', '/console/credit-checks'],
    ['commitments-console', '/console/commitments'],
    ['commitment', '/console/commitments/1'],
    ['commitment-window', '/console/commitments/window'],
    ['commitment-associations', '/console/commitments/associations'],
    ['partners', '/console/partners'],
    ['users', '/console/users'],
  ];
  for (const [key, url] of pages) await check(page, key, url, [tablet]);
  // A clerk's console names the account and counts what waits.
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.getByRole('button', { name: '退出登录' }).click();
  await staffLogin(page, 'clerk');
  await expect(page.locator('header .account')).toHaveText(/ · 违章处理科$/);
  await expect(page.getByRole('navigation', { name: '工作台导航' }).getByRole('link', { name: /信用异议/ })).toBeVisible();
});
