// The web app in Debian's chromium against a real coachd and gateway: a salesperson prepares a
// session, the coach sees the agenda first with her preparation and records the session, she sees
// the carried-over item; a manager cannot open her pulse answers; every screen passes axe-core
// without serious violations and is photographed at desktop and phone width.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const shots = join(here, '../test-results/screenshots');

function ctl(...args) {
  return execFileSync(process.env.COACHCTL, ['-e', process.env.COACH_WEB_ENDPOINT, ...args], { encoding: 'utf8' });
}

function link(person) {
  return execFileSync(
    process.env.COACHCTL,
    ['-e', process.env.COACH_WEB_ENDPOINT, 'login-link', '--person', person, '--base-url', process.env.COACH_WEB_BASE],
    { encoding: 'utf8' },
  ).trim();
}

async function signIn(browser, person) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(link(person));
  await expect(page.locator('header .who')).toBeVisible();
  return page;
}

// No serious or critical accessibility violation, then a photograph at both widths.
async function check(page, name) {
  expect(page.errors, `script errors on ${name}`).toEqual([]);
  await expect(page.locator('main .loading')).toHaveCount(0);
  await expect(page.locator('main .error')).toHaveCount(0);
  const result = await new AxeBuilder({ page }).analyze();
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`)).toEqual([]);
  for (const [width, height, kind] of [
    [1280, 800, 'desktop'],
    [390, 844, 'phone'],
  ]) {
    await page.setViewportSize({ width, height });
    mkdirSync(join(shots, kind), { recursive: true });
    await page.screenshot({ path: join(shots, kind, `${name}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function go(page, label) {
  await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
}

test.describe.configure({ mode: 'serial' });

let carl;
let ana;

test('the coach starts coaching ana', async ({ browser }) => {
  carl = await signIn(browser, 'carl');
  await check(carl, 'coach-home');
  await go(carl, 'My people');
  const row = carl.locator('li.person', { hasText: 'ana' });
  await row.getByRole('button', { name: 'Start weekly coaching' }).click();
  await expect(row.getByRole('link', { name: 'Open the session' })).toBeVisible();
  await check(carl, 'coach-people');
});

test('the salesperson prepares the session she leads, and her coach hears of it live', async ({ browser }) => {
  ana = await signIn(browser, 'ana');
  await go(ana, 'My coaching');
  await ana.getByLabel('What I want to focus on').fill('Four first meetings a week');
  await ana.getByLabel('Gaps I see (one per line)').fill('Too few first meetings\nProposals go out late');
  await ana.getByLabel('Within my influence (one per line)').fill('My calendar');
  await ana.getByRole('button', { name: 'Send my preparation' }).click();
  await expect(ana.getByText('Your preparation is on the agenda.')).toBeVisible();
  await check(ana, 'salesperson-coaching');
  await expect(carl.locator('.live')).toContainText('Preparation submitted by ana');
});

test('the coach sees her preparation first and records the session with feedback', async () => {
  await go(carl, 'My people');
  await carl.locator('li.person', { hasText: 'ana' }).getByRole('link', { name: 'Open the session' }).click();
  const agenda = carl.locator('ol.agenda > li');
  await expect(agenda.first()).toHaveClass(/agenda-prep/);
  await expect(carl.locator('ol.agenda')).toContainText('Four first meetings a week');
  await carl.getByLabel('Acknowledge: what went well, in their words').fill('You closed two deals this month.');
  await carl.getByLabel('Ask: the questions you asked').fill('What would help you book more first meetings?');
  await carl.getByLabel('Plan: what they decided').fill('Ana books four first meetings next week.');
  await carl.getByLabel('Offer help: what you will do').fill('You should just call more people.');
  // The tell-or-engage check answers as the coach types: the last sentence tells.
  await expect(carl.locator('.feedback')).toContainText('Telling sentences');
  await expect(carl.locator('.feedback .verdict')).toContainText('Telling: turn a statement into a question');
  await carl.getByLabel('New action item', { exact: true }).fill('Book four first meetings');
  await carl.getByRole('button', { name: 'Add item' }).click();
  await check(carl, 'coach-session');
  await carl.getByRole('button', { name: 'Record the session' }).click();
  await expect(carl.getByText('Session recorded. The next one is planned.')).toBeVisible();
});

test('the salesperson sees the carried-over item', async () => {
  await ana.reload();
  await expect(ana.locator('ul.items')).toContainText('Book four first meetings');
  await check(ana, 'salesperson-items');
});

test('the salesperson sends her pulse and sees her trend; her other screens', async () => {
  await go(ana, 'My pulse');
  const groups = ana.locator('fieldset.scale');
  await expect(groups.first()).toBeVisible();
  for (let i = 0; i < (await groups.count()); ++i) await groups.nth(i).getByLabel('4', { exact: true }).check();
  await ana.getByRole('button', { name: 'Send my pulse' }).click();
  await expect(ana.locator('figure.chart')).toBeVisible();
  await check(ana, 'salesperson-pulse');
  await go(ana, 'My style');
  await expect(ana.locator('main')).toContainText('Driver');
  await expect(ana.locator('main svg')).toContainText('How I see myself');
  await check(ana, 'salesperson-style');
  await go(ana, 'Before a meeting');
  await ana.getByLabel('Account', { exact: true }).fill('acme');
  await ana.getByRole('button', { name: 'Show guidance' }).click();
  for (const heading of ['Awareness', 'Alignment', 'Action'])
    await expect(ana.getByRole('heading', { name: heading, exact: true })).toBeVisible();
  await expect(ana.locator('.guidance')).not.toContainText('Tentative');
  await check(ana, 'salesperson-guidance');
});

test('a trust drop reaches the coach live and is marked on the trend', async () => {
  await go(ana, 'My trust ratings');
  const rate = (selfOrientation) =>
    ctl('call', 'motivation_keys', 'RateTrust', JSON.stringify({
      salesperson_id: 'ana', account_id: 'acme', role: 'RATER_ROLE_CUSTOMER',
      credibility: 4, reliability: 4, intimacy: 4, self_orientation: selfOrientation,
    }));
  rate(2);
  rate(4);  // more self-oriented: trust falls
  await expect(carl.locator('.live')).toContainText('Trust dropped: ana with acme');
  await ana.getByLabel('Account', { exact: true }).fill('acme');
  await ana.getByRole('button', { name: 'Show' }).click();
  await expect(ana.locator('figure.chart .mark')).toHaveCount(1);
  await check(ana, 'salesperson-trust');
  await go(carl, 'Trust trends');
  await carl.getByLabel('Account', { exact: true }).fill('acme');
  await carl.getByRole('button', { name: 'Show' }).click();
  await expect(carl.locator('figure.chart')).toContainText('drop');
  await check(carl, 'coach-trust');
});

test('a manager sees team aggregates but cannot open a salesperson’s pulse answers', async ({ browser }) => {
  const max = await signIn(browser, 'max');
  await expect(max.getByRole('navigation')).not.toContainText('My pulse');
  await go(max, 'Team motivation');
  await expect(max.locator('main')).toContainText('1 of 4 members sent a pulse');
  await check(max, 'manager-motivation');
  const answer = await max.evaluate(async () => {
    const s = await (await fetch('/v1/session')).json();
    const r = await fetch('/v1/motivation_keys/GetPulseHistory', {
      method: 'POST',
      headers: { 'X-CSRF-Token': s.csrf_token },
      body: JSON.stringify({ person_id: 'ana' }),
    });
    return { status: r.status, body: await r.json() };
  });
  expect(answer.status).toBe(403);
  expect(answer.body.code).toBe('PERMISSION_DENIED');
  await go(max, 'Team map');
  await check(max, 'manager-team-map');
  await go(max, 'Coaching measures');
  await check(max, 'manager-measures');
});

test('the coach’s team map, measures with their CSV, and accounts at risk', async () => {
  await go(carl, 'Team map');
  await expect(carl.locator('main svg')).toContainText('Ana Ruiz');
  await expect(carl.locator('main')).toContainText('Hardest pairings');
  await check(carl, 'coach-team-map');
  await go(carl, 'Coaching measures');
  await expect(carl.locator('main dl')).toContainText('sessions held');
  const download = carl.waitForEvent('download');
  await carl.getByRole('button', { name: 'Download CSV' }).click();
  const csv = readFileSync(await (await download).path(), 'utf8');
  expect(csv.split('\n')[0]).toContain('sessions_held');
  await check(carl, 'coach-measures');
  await go(carl, 'Accounts at risk');
  await check(carl, 'coach-accounts-at-risk');
});

test('the service agent looks up an account’s cases', async ({ browser }) => {
  const zoe = await signIn(browser, 'zoe');
  await go(zoe, 'Service cases');
  // Her work list: the open case assigned to her.
  const open = zoe.getByRole('region', { name: 'My open cases' });
  const c = open.locator('li.case', { hasText: 'c-100' });
  await expect(c).toContainText('Invoice shows the old price');
  await check(zoe, 'service-cases');
  await c.getByLabel('Root-cause category').selectOption('billing');
  await c.getByLabel('Cause', { exact: true }).fill('price list not updated');
  await c.getByLabel('Fix', { exact: true }).fill('credit note and price list corrected');
  await c.getByLabel('The customer confirmed the fix').check();
  await c.getByRole('button', { name: 'Solve' }).click();
  await expect(open).toContainText('No open cases');
  // The account's history shows it solved, its check-in pending.
  await zoe.getByLabel('Account', { exact: true }).fill('acme');
  await zoe.getByRole('button', { name: 'Show' }).click();
  const history = zoe.getByRole('region', { name: 'An account’s history' }).locator('li.case', { hasText: 'c-100' });
  await expect(history).toContainText('solved');
  await expect(history).toContainText('check-in due');
  // The customer comes back twice: reopened twice, acme is at risk, with the evidence.
  const solveAgain = JSON.stringify({
    case_id: 'c-100', agent_id: 'zoe',
    root_cause: { category: 'billing', cause: 'price list not updated', fix: 'credit note', customer_confirmed: true },
  });
  ctl('call', 'service_followup', 'ReopenCase', '{"case_id":"c-100","actor":"customer"}');
  ctl('call', 'service_followup', 'SolveCase', solveAgain);
  ctl('call', 'service_followup', 'ReopenCase', '{"case_id":"c-100","actor":"customer"}');
  await expect(zoe.locator('.live')).toContainText('Account at risk: acme');
  await go(zoe, 'Accounts at risk');
  await expect(zoe.locator('main')).toContainText('case c-100 reopened 2 times');
  await check(zoe, 'service-accounts-at-risk');
  await go(zoe, 'Service cases');
  await expect(zoe.getByRole('region', { name: 'My open cases' })).toContainText('2 reopens');
});

test('the admin imports people with a line-numbered report', async ({ browser }) => {
  const ada = await signIn(browser, 'ada');
  await go(ada, 'People');
  const file = join(here, '../test-results/import.csv');
  writeFileSync(file, 'id,name,team,roles,coach,manager\ndee,Dee Lane,east,salesperson,carl,max\nbad,Bad,east,wizard,,\n');
  await ada.getByLabel('File').setInputFiles(file);
  await expect(ada.locator('main')).toContainText('1 added');
  await expect(ada.locator('main')).toContainText('line 3:');
  await check(ada, 'admin-people');
  await go(ada, 'Webhooks');
  await ada.getByLabel('URL that receives the events').fill('https://crm.example.com/coach');
  await ada.getByLabel('Topic prefix (empty: every event)').fill('motivation_keys.trust');
  await ada.getByRole('button', { name: 'Subscribe' }).click();
  await expect(ada.locator('main')).toContainText('Secret (shown once');
  await expect(ada.locator('main')).toContainText('https://crm.example.com/coach (motivation_keys.trust)');
  await check(ada, 'admin-webhooks');
  await go(ada, 'Tokens');
  await expect(ada.locator('main table')).toContainText('web session');  // this run's sign-ins
  await check(ada, 'admin-tokens');
  await go(ada, 'Modules and health');
  const row = ada.locator('main tr', { hasText: 'coaching_sessions' });
  await expect(row).toContainText('running');
  await expect(row).toContainText('yes');  // enabled for this organisation
  await check(ada, 'admin-health');
});

test('the keyboard reaches everything: skip link, navigation, forms', async () => {
  await ana.goto(new URL('/', ana.url()).href);
  await expect(ana.locator('header .who')).toBeVisible();
  await ana.keyboard.press('Tab');
  await expect(ana.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await ana.keyboard.press('Enter');
  await expect(ana.locator('main')).toBeFocused();
  // From the page's start, Tab reaches "My pulse" in the navigation; Enter opens it.
  await ana.locator('body').focus();
  for (let i = 0; i < 12; ++i) {
    await ana.keyboard.press('Tab');
    if ((await ana.evaluate(() => document.activeElement?.textContent)) === 'My pulse') break;
  }
  await ana.keyboard.press('Enter');
  await expect(ana.getByRole('heading', { name: 'How do you feel about your work this week?' })).toBeVisible();
  // The first answer takes arrow keys, as radio groups do.
  await ana.locator('fieldset.scale input').first().focus();
  await ana.keyboard.press('ArrowRight');
  await expect(ana.locator('fieldset.scale').first().locator('input:checked')).toHaveValue('2');
});

test('signing out ends the session', async () => {
  await ana.getByRole('button', { name: 'Sign out' }).click();
  await expect(ana.getByRole('heading', { name: 'You are signed out' })).toBeVisible();
  const r = await ana.evaluate(async () => (await fetch('/v1/session')).status);
  expect(r).toBe(401);
});

test('first load stays within 200 KB of compressed JavaScript', () => {
  const dist = join(here, '../dist');
  const page = readFileSync(join(dist, 'index.html'), 'utf8');
  const scripts = [...page.matchAll(/src="\/assets\/([^"]+\.js)"/g)].map((m) => m[1]);
  expect(scripts.length).toBeGreaterThan(0);
  const bytes = scripts.reduce((n, s) => n + statSync(join(dist, 'assets', `${s}.gz`)).size, 0);
  console.log(`first-load JavaScript: ${bytes} bytes gzipped (budget 204800)`);
  expect(bytes).toBeLessThanOrEqual(200 * 1024);
});
