// End-to-end: the real release binary, driven through tauri-driver and
// WebKitWebDriver under Xvfb (started by run.sh). One app session, steps
// in order, as a volunteer would go: create the vault, add a person, open
// a renewal case, mark documents, see Today, lock, unlock, then the XSS
// name, English, and the auto-lock.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WebDriver, KEY, sleep } from './webdriver.mjs';

const APP = process.env.SESAME_APP;
const WD = process.env.WD_URL ?? 'http://127.0.0.1:4444';
const SHOTS = process.env.SESAME_SCREENSHOTS;
const PASS = 'phrase de passe des tests e2e';
const XSS = '<img src=x onerror=alert(1)>';

let wd;

function shot(name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  // WebDriver's own screenshot can hang under Xvfb: capture the X display.
  execFileSync('import', ['-window', 'root', '-display', process.env.DISPLAY, join(SHOTS, `${name}.png`)]);
}

const isoIn = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);

before(async () => {
  assert.ok(APP, 'SESAME_APP must name the release binary');
  wd = await WebDriver.start(WD, APP);
  let n = 0;
  // A screenshot of whatever the window showed when a wait timed out.
  wd.onTimeout = () => shot(`timeout-${String(++n).padStart(2, '0')}`);
  await wd.waitFor('h1', 30000);
});

afterEach(async () => {
  // No uncaught error in the page, whatever the screen.
  const errors = await wd.exec('return window.__sesameErrors ?? []').catch(() => []);
  await wd.exec('window.__sesameErrors && (window.__sesameErrors.length = 0)').catch(() => {});
  assert.deepEqual(errors, [], 'uncaught errors in the page');
});

after(async () => {
  await wd?.quit();
});

test('first run creates the vault, with strength feedback and a mismatch refused', async () => {
  await wd.waitFor('#first-title');
  await wd.type('#passphrase', PASS);
  await wd.waitUntil(`return document.querySelector('#strength-meter').value >= 3`, [], 5000, 'strength feedback');
  await wd.type('#confirm', PASS + ' mais autre');
  shot('01-first-run-fr');
  await wd.click('button[type=submit]');
  await wd.waitFor('#confirm-error');
  assert.match(await wd.text('#confirm-error'), /pas identiques/);
  await wd.type('#confirm', PASS);
  await wd.click('button[type=submit]');
  await wd.waitFor('nav');
  assert.match(await wd.text('h1'), /Aujourd’hui/);
  await wd.waitUntil(`return document.body.innerText.includes('Rien d’urgent')`, [], 10000, 'empty Today');
  shot('02-today-empty-fr');
});

test('a person is refused field by field, keeping what was typed, then saved', async () => {
  await wd.click('nav button:nth-child(2)');
  await wd.waitFor('#search');
  shot('03-applicants-empty-fr');
  await wd.click('#new-applicant');
  await wd.type('#given_name', 'Amina');
  await wd.setValue('#birth_date', '2099-01-01');
  await wd.type('#email', 'pas-un-email');
  await wd.click('#save-applicant');
  await wd.waitFor('#family_name-error');
  assert.match(await wd.text('#family_name-error'), /obligatoire/);
  assert.match(await wd.text('#birth_date-error'), /futur/);
  assert.match(await wd.text('#email-error'), /e-mail/);
  assert.equal(await wd.value('#given_name'), 'Amina', 'what was typed stays');
  shot('04-applicant-errors-fr');
  await wd.type('#family_name', 'Benali');
  await wd.setValue('#birth_date', '1990-04-02');
  await wd.type('#email', 'amina@example.org');
  await wd.type('#languages', 'ar, fr');
  await wd.setValue('#consent_date', isoIn(-1));
  await wd.exec(`const s = document.querySelector('#consent_method'); s.value = 'oral'; s.dispatchEvent(new Event('change', {bubbles: true}));`);
  await wd.type('#consent_scope', 'suivi du renouvellement');
  await wd.click('#save-applicant');
  await wd.waitFor('#applicant-saved');
  assert.match(await wd.text('h1'), /Amina Benali/);
});

test('a renewal case shows its checklist and deadlines; documents are marked in one click', async () => {
  await wd.click('#new-case');
  await wd.waitFor('#procedure option[value=vpf_conjoint_francais_renewal]');
  await wd.exec(`const s = document.querySelector('#procedure'); s.value = 'vpf_conjoint_francais_renewal'; s.dispatchEvent(new Event('change', {bubbles: true}));`);
  await wd.type('#department', '93');
  // Issued through ANEF: the renewal window opens 4 months before expiry (R431-5).
  await wd.setValue('#permit_expires_on', isoIn(100));
  await wd.click('#permit_on_anef');
  await wd.click('#create-case');
  await wd.waitFor('#checklist li[data-doc]');
  await wd.waitFor('#deadlines tr[data-deadline=renewal_window_open]');
  const docs = await wd.exec(`return [...document.querySelectorAll('#checklist li[data-doc]')].map(l => l.dataset.doc)`);
  assert.ok(docs.length >= 2);
  await wd.click(`li[data-doc="${docs[0]}"] button[data-status=received]`);
  await wd.waitUntil(`return document.querySelector('li[data-doc="${docs[0]}"] button[data-status=received]').getAttribute('aria-pressed') === 'true'`);
  await wd.click(`li[data-doc="${docs[1]}"] button[data-status=verified]`);
  await wd.waitUntil(`return document.querySelector('li[data-doc="${docs[1]}"] button[data-status=verified]').getAttribute('aria-pressed') === 'true'`);
  // Each computed deadline shows its legal basis and counting rule.
  const rows = await wd.exec(`return [...document.querySelectorAll('#deadlines tr[data-deadline]')].map(r => [...r.cells].map(c => c.innerText.trim()))`);
  assert.ok(rows.length > 0);
  for (const cells of rows) assert.ok(cells[2] && cells[3], `legal basis and counting: ${cells}`);
  await wd.exec('window.scrollTo(0, 0)');
  shot('05-case-fr');
  await wd.exec(`document.querySelector('#print-title').scrollIntoView()`);
  shot('05b-case-print-fr');
  globalThis.docs = docs;
});

test('the case says who can read it: this computer only, without a team', async () => {
  await wd.waitFor('#readers-summary');
  const summary = await wd.text('#readers-summary');
  assert.match(summary, /Seulement cet ordinateur/);
  await wd.exec(`document.querySelector('#readers-title').scrollIntoView()`);
  shot('05c-case-readers-fr');
});

test('Today shows the renewal window with initials only, and links to the case', async () => {
  await wd.click('nav button:nth-child(1)');
  await wd.waitUntil(`return document.body.innerText.includes('Période de renouvellement ouverte')`, [], 15000, 'renewal window on Today');
  const text = await wd.bodyText();
  assert.match(text, /A\. B\./);
  assert.doesNotMatch(text, /Benali|Amina/, 'no name on Today');
  shot('06-today-fr');
  await wd.click('.item .open');
  await wd.waitFor('#checklist');
});

test('Ctrl+L locks; a wrong passphrase is refused; unlocking shows everything again', async () => {
  await wd.chord(KEY.CONTROL, 'l');
  await wd.waitFor('#unlock-title');
  const text = await wd.bodyText();
  assert.doesNotMatch(text, /Benali|Amina|A\. B\./, 'nothing decrypted left on screen');
  await wd.type('#unlock-passphrase', 'ce nest pas la bonne');
  await wd.click('button[type=submit]');
  await wd.waitFor('#unlock-error');
  assert.match(await wd.text('#unlock-error'), /Phrase de passe incorrecte/);
  shot('07-unlock-wrong-fr');
  await wd.type('#unlock-passphrase', PASS);
  await wd.click('button[type=submit]');
  await wd.waitUntil(`return document.body.innerText.includes('Période de renouvellement ouverte')`, [], 15000, 'Today after unlock');
  await wd.click('.item .open');
  const [d0, d1] = globalThis.docs;
  await wd.waitFor(`li[data-doc="${d0}"] button[data-status=received][aria-pressed=true]`);
  await wd.waitFor(`li[data-doc="${d1}"] button[data-status=verified][aria-pressed=true]`);
});

test('a letter is drafted from the case as editable text', async () => {
  await wd.click('button.secondary[data-action=prepare-letter]');
  await wd.waitFor('#letter-text');
  const text = await wd.value('#letter-text');
  assert.match(text, /Benali/, 'the draft names the applicant');
  assert.match(text, /R431-2/, 'and its legal basis');
  await wd.type('#letter-text', 'Texte revu par le bénévole.');
  assert.equal(await wd.value('#letter-text'), 'Texte revu par le bénévole.');
});

test('a name that looks like HTML shows as text', async () => {
  await wd.click('nav button:nth-child(2)');
  await wd.click('#new-applicant');
  await wd.type('#family_name', XSS);
  await wd.type('#given_name', 'Test');
  await wd.click('#save-applicant');
  await wd.waitFor('#applicant-saved');
  assert.ok((await wd.text('h1')).includes(XSS));
  await wd.click('nav button:nth-child(2)');
  await wd.type('#search', 'img');
  await wd.waitUntil(`return document.querySelector('#applicant-list')?.innerText.includes(arguments[0])`, [XSS], 10000, 'XSS name listed as text');
  assert.equal(await wd.exec(`return document.querySelectorAll('main img').length`), 0);
  shot('08-applicants-xss-fr');
});

test('switching to English changes every screen', async () => {
  await wd.click('nav button:nth-child(3)');
  await wd.waitFor('#lang-en');
  shot('09-settings-fr');
  await wd.click('#lang-en');
  await wd.type('#association_name', 'Permanence du mardi');
  await wd.click('#save-settings');
  await wd.waitFor('#settings-saved');
  assert.match(await wd.text('nav'), /Today/);
  assert.match(await wd.text('h1'), /Settings/);
  shot('10-settings-en');
  await wd.click('nav button:nth-child(1)');
  await wd.waitUntil(`return document.body.innerText.includes('Renewal window open')`, [], 15000, 'English Today');
  shot('11-today-en');
  await wd.click('nav button:nth-child(2)');
  await wd.setValue('#search', '');
  await wd.waitFor('#applicant-list');
  shot('12-applicants-en');
  await wd.click('nav button:nth-child(1)');
  await wd.waitFor('.item .open');
  await wd.click('.item .open');
  await wd.waitFor('#checklist');
  assert.match(await wd.bodyText(), /Documents to gather/);
  await wd.exec('window.scrollTo(0, 0)');
  shot('13-case-en');
  // 200 % zoom: everything still reachable, nothing cut off sideways.
  await wd.exec(`document.documentElement.style.zoom = '2'`);
  const sideways = await wd.exec('return document.documentElement.scrollWidth > window.innerWidth + 1');
  shot('15-case-en-zoom200');
  await wd.exec(`document.documentElement.style.zoom = ''`);
  assert.equal(sideways, false, 'no horizontal scrolling at 200 %');
});

test('the vault locks itself after the configured delay', async () => {
  await wd.click('nav button:nth-child(3)');
  await wd.type('#auto_lock_minutes', '1');
  await wd.click('#save-settings');
  await wd.waitFor('#settings-saved');
  const t0 = Date.now();
  // No input for a minute: the page's timer (and the shell's) lock the vault.
  await wd.waitFor('#unlock-title', 90000);
  const waited = (Date.now() - t0) / 1000;
  assert.ok(waited >= 55, `locked after ${waited} s, not before the minute`);
  await wd.waitFor('#idle-note');
  shot('14-unlock-idle-en');
  await wd.type('#unlock-passphrase', PASS);
  await wd.click('button[type=submit]');
  await wd.waitFor('nav');
});
