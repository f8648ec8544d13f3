// Drives the hookrelay inspector in Debian's chromium, as a person would:
//
//   node inspector.test.mjs <inspectorURL> <tunnelURL> <outDir> [<attemptsID>]
//
// It opens the inspector, sends a delivery through the tunnel, waits for it to appear in
// the list without a reload, opens it, edits the body, replays it, and finds the replay in
// the list. With attemptsID, a record of a tunnel three clients mirror (alice answers,
// bob and carol get copies), it checks that record's attempts table. Screenshots go to
// outDir. Run by internal/inspect/browser_test.go, which then
// checks that the edited replay reached the local app.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [inspectorURL, tunnelURL, outDir, attemptsID] = process.argv.slice(2);
if (!inspectorURL || !tunnelURL || !outDir) {
  console.error('usage: node inspector.test.mjs <inspectorURL> <tunnelURL> <outDir>');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const TIMEOUT = 15000;
let current = null; // the page in use, for a screenshot when a check fails
const EDITED = '{"greeting":"edited in the browser"}';

function check(ok, what) {
  if (!ok) {
    throw new Error('check failed: ' + what);
  }
  console.log('ok: ' + what);
}

async function deliver(path, body) {
  const resp = await fetch(new URL(path, tunnelURL), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Browser-Test': 'yes' },
    body,
  });
  await resp.arrayBuffer();
  return resp.status;
}

async function main(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  current = page;
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  await page.goto(inspectorURL);
  await page.locator('#live:not(.off)', { hasText: 'live' }).waitFor();
  check(true, 'list page open, live feed connected');
  await page.evaluate(() => { window.__noReload = true; });

  const status = await deliver('browser/hello?from=playwright', '{"greeting":"hello from the browser test","n":1}');
  check(status === 200, 'delivery through the tunnel answered 200 (got ' + status + ')');
  const row = page.locator('#rows tr', { hasText: '/browser/hello' });
  await row.first().waitFor();
  check(await page.evaluate(() => window.__noReload === true), 'new delivery appeared without a reload');
  await page.screenshot({ path: join(outDir, 'list.png'), fullPage: true });

  await row.first().locator('.path a').click();
  await page.locator('pre.body.json').first().waitFor();
  const shown = await page.locator('pre.body.json').first().textContent();
  check(shown.includes('"greeting": "hello from the browser test"'), 'detail shows the JSON body pretty-printed');
  await page.locator('#copy-curl').click();
  await page.locator('#copy-done', { hasText: /Copied|Selected/ }).waitFor();
  check(true, 'copy as curl answers');
  await page.screenshot({ path: join(outDir, 'detail.png'), fullPage: true });

  await page.locator('#edit-open').click();
  check(await page.locator('#edit').evaluate((d) => d.open), 'edit form opens');
  await page.getByLabel('Body', { exact: true }).fill(EDITED);
  await Promise.all([page.waitForURL(/\/r\/[0-9a-z]+$/), page.getByRole('button', { name: 'Send edited replay' }).click()]);
  await page.locator('dt', { hasText: 'Replay of' }).waitFor();
  const replayed = await page.locator('pre.body.json').first().textContent();
  check(replayed.includes('"greeting": "edited in the browser"'), 'replay detail shows the edited body');

  await page.goto(inspectorURL);
  await page.locator('#rows tr', { hasText: '/browser/hello' }).locator('.badge.replay').first().waitFor();
  check(await page.locator('#rows tr', { hasText: '/browser/hello' }).count() === 2, 'list shows the original and the replay');

  if (attemptsID) {
    await checkAttempts(page);
    await page.goto(inspectorURL);
  }

  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, 'phone width: no sideways scrolling (overflow ' + overflow + 'px)');
  await page.screenshot({ path: join(outDir, 'list-phone.png'), fullPage: true });

  check(errors.length === 0, 'no script errors (' + errors.join('; ') + ')');
  await context.close();
}

// checkAttempts opens the record of attemptsID and checks its table of attempts: one
// row per client, the primary first.
async function checkAttempts(page) {
  await page.goto(new URL('r/' + attemptsID, inspectorURL).href);
  const rows = page.locator('section.tries tbody tr');
  await rows.first().waitFor();
  const cells = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  const who = cells.map((c) => c[1] + ':' + c[2] + ':' + c[3]);
  check(who.length === 3 && who[0] === 'alice:primary:200', 'attempts table: alice answered first (' + who.join(', ') + ')');
  check(who.slice(1).sort().join(',') === 'bob:mirror:200,carol:mirror:200', 'attempts table: bob and carol got copies');
  await page.screenshot({ path: join(outDir, 'detail-attempts.png'), fullPage: true });
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
  if (current) {
    console.error('failed on ' + current.url() + '; screenshot in failure.png');
    await current.screenshot({ path: join(outDir, 'failure.png'), fullPage: true }).catch(() => {});
  }
} finally {
  await browser.close();
}
