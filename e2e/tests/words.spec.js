// Staff read Chinese, not the machine's words: a crawl of every staff page of
// the demo (following the console's links as the administrator and as a
// clerk) finds no event code (record.created), no rule-file path
// (rules/objections.toml) and no JSON payload ({"version":1}) in the text a
// person sees.
const { test, expect } = require('@playwright/test');

const { staffLogin } = require('./staff');

const EVENT_CODE = /\b(record|subject|subject_account|claim_code|personal_data|objection|repair|submission|declaration|document|department|responsibilities|organisation|calendar|user|api_token)\.[a-z_]+\b/;
const RULE_PATH = /rules\/[\w\-/]*|\.toml\b/;
const JSON_PAYLOAD = /\{\s*"[^"]+"\s*:/;

// Pages that are not worth following: downloads, sign-out, and the many
// pages of one kind beyond the first few (one record page is like another).
function worth(url, seen) {
  if (!url.pathname.startsWith('/console')) return false;
  if (/\.(xlsx|csv)$/.test(url.pathname) || url.pathname.includes('/templates/')) return false;
  if (url.pathname === '/console/logout' || url.pathname.includes('/attachments/')) return false;
  const kind = url.pathname.replace(/\d+/g, 'N') + (url.pathname.includes('drill') ? url.search.replace(/\d+/g, 'N') : '');
  seen.set(kind, (seen.get(kind) || 0) + 1);
  return seen.get(kind) <= 6;
}

async function crawl(page, start) {
  const queue = [start];
  const visited = new Set();
  const kinds = new Map();
  const faults = [];
  while (queue.length > 0 && visited.size < 120) {
    const href = queue.shift();
    if (visited.has(href)) continue;
    visited.add(href);
    const resp = await page.goto(href);
    if (!resp || resp.status() >= 400) {
      faults.push(`${href}: ${resp ? resp.status() : 'no answer'}`);
      continue;
    }
    const text = await page.locator('body').innerText();
    for (const [what, re] of [['event code', EVENT_CODE], ['rule-file path', RULE_PATH], ['JSON', JSON_PAYLOAD]]) {
      const m = text.match(re);
      if (m) faults.push(`${href}: ${what} 「${m[0]}」`);
    }
    const links = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href));
    for (const l of links) {
      const url = new URL(l);
      if (url.origin !== new URL(page.url()).origin) continue;
      const key = url.pathname + url.search;
      if (!visited.has(key) && !queue.includes(key) && worth(url, kinds)) queue.push(key);
    }
  }
  return { visited: visited.size, faults };
}

test('no staff page shows event codes, rule-file paths or JSON', async ({ page }) => {
  await staffLogin(page, 'admin');
  const admin = await crawl(page, '/console');
  expect(admin.faults).toEqual([]);
  expect(admin.visited).toBeGreaterThan(25);
  await page.getByRole('button', { name: '退出登录' }).click();
  await staffLogin(page, 'clerk');
  const clerk = await crawl(page, '/console');
  expect(clerk.faults).toEqual([]);
  expect(clerk.visited).toBeGreaterThan(10);
});
