// Plays a tenant who serves a hostile page through a tunnel, while another tenant is
// logged in to the team inspector in the same browser:
//
//   node isolation.test.mjs <adminURL> <token> <recordID> <secretPath> <pageURL>...
//
// It logs in to the team inspector at adminURL with token, then opens each pageURL (a
// page served through the hostile tunnel: path form and host form) and, from inside that
// page, tries what its script could: read the inspector's list and a record's detail
// with the browser's cookies, on the admin origin and at /inspect/ of its own origin,
// find the CSRF token there, and post a replay without it. Every read must fail. As a
// control, the same reads from the inspector's own page must succeed. Run by
// internal/inspect/browser_test.go, which then checks that the app got no replay.
import { chromium } from 'playwright-core';

const [adminURL, token, recordID, secretPath, ...pageURLs] = process.argv.slice(2);
if (!adminURL || !token || !recordID || !secretPath || pageURLs.length === 0) {
  console.error('usage: node isolation.test.mjs <adminURL> <token> <recordID> <secretPath> <pageURL>...');
  process.exit(2);
}

function check(ok, what) {
  if (!ok) {
    throw new Error('check failed: ' + what);
  }
  console.log('ok: ' + what);
}

// attempt runs in a page: it fetches each URL with the browser's cookies and reports
// what it could read.
async function attempt({ urls, replayURL, secretPath }) {
  const out = [];
  for (const url of urls) {
    try {
      const resp = await fetch(url, { credentials: 'include' });
      const text = await resp.text();
      out.push({ url, status: resp.status, csrf: text.includes('name="csrf"'), secret: text.includes(secretPath) });
    } catch (e) {
      out.push({ url, blocked: String(e) });
    }
  }
  try {
    await fetch(replayURL, {
      method: 'POST', credentials: 'include', mode: 'no-cors',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'csrf=guessed',
    });
  } catch (e) {
    // refused before it left: as good
  }
  return out;
}

function targets(pageURL) {
  const own = new URL(pageURL).origin;
  return {
    urls: [adminURL, adminURL + 'r/' + recordID, own + '/inspect/', own + '/inspect/r/' + recordID],
    replayURL: adminURL + 'r/' + recordID + '/replay',
    secretPath,
  };
}

async function main(browser) {
  const context = await browser.newContext();
  context.setDefaultTimeout(15000);
  const admin = await context.newPage();
  await admin.goto(adminURL + 'login');
  await admin.locator('input[name="secret"]').fill(token);
  await Promise.all([admin.waitForURL(adminURL), admin.locator('input[name="secret"]').press('Enter')]);
  check((await admin.content()).includes(secretPath), 'logged in to the team inspector, the delivery is listed');

  const control = await admin.evaluate(attempt, targets(adminURL));
  check(control[0].status === 200 && control[0].csrf && control[0].secret,
    'control: the inspector\'s own page reads its list and CSRF token: ' + JSON.stringify(control[0]));

  for (const pageURL of pageURLs) {
    const page = await context.newPage();
    const resp = await page.goto(pageURL);
    check(resp.status() === 200 && (await page.content()).includes('hostile page'), 'hostile page served at ' + pageURL);
    const got = await page.evaluate(attempt, targets(pageURL));
    for (const r of got) {
      console.log('  ' + JSON.stringify(r));
      check(!r.csrf && !r.secret, pageURL + ' cannot read ' + r.url);
    }
    await page.close();
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'],
});
try {
  await main(browser);
  console.log('all checks passed');
} catch (e) {
  console.error(e.stack || String(e));
  process.exitCode = 1;
} finally {
  await browser.close();
}
