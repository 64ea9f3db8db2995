// End-to-end: the real release binary, driven through tauri-driver and
// WebKitWebDriver under Xvfb (started by run.sh). One app session, steps
// in order, as a volunteer would go: create the vault, add a person, open
// a renewal case, mark documents, see Today, lock, unlock, then the XSS
// name, English, and the auto-lock.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
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
  // Dates are typed day first whatever the system's locale (Xvfb runs in C).
  await wd.setValue('#birth_date', '02/04/1990');
  await wd.type('#email', 'amina@example.org');
  await wd.type('#languages', 'ar, fr');
  await wd.setValue('#consent_date', isoIn(-1));
  await wd.exec(`const s = document.querySelector('#consent_method'); s.value = 'oral'; s.dispatchEvent(new Event('change', {bubbles: true}));`);
  await wd.type('#consent_scope', 'suivi du renouvellement');
  await wd.click('#save-applicant');
  await wd.waitFor('#applicant-saved');
  assert.match(await wd.text('h1'), /Amina Benali/);
  assert.equal(await wd.value('#birth_date'), '02/04/1990', 'the 2nd of April, not the 4th of February');
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

test('printouts are previewed page by page before saving, Arabic and letters included', async () => {
  await wd.exec(`const s = document.querySelector('#print-lang'); s.value = 'ar'; s.dispatchEvent(new Event('change', {bubbles: true}));`);
  const pagesShown = `const imgs = [...document.querySelectorAll('dialog[open] #preview-pages img.page')];
    return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0) ? imgs.length : 0`;
  const count = () => wd.exec(`return Number(document.querySelector('#preview-count')?.textContent.match(/\\d+/)?.[0] ?? -1)`);
  for (const [button, name] of [['#print-list', '05c-preview-checklist-ar'], ['#print-blank', '05d-preview-blank-ar']]) {
    await wd.click(button);
    await wd.waitUntil(pagesShown, [], 20000, `${button}: preview pages drawn`);
    const n = await wd.exec(pagesShown);
    assert.equal(n, await count(), 'as many page images as the preview says');
    assert.ok((await wd.text('#preview-title')).includes('Aperçu'));
    shot(name);
    await wd.click('#preview-close');
    await wd.waitUntil(`return !document.querySelector('dialog.preview')`, [], 5000, 'preview closed');
  }
  // The letter, as edited in the previous step, with its pieces appended.
  await wd.click('button[data-action=preview-letter]');
  await wd.waitUntil(pagesShown, [], 20000, 'letter preview pages drawn');
  assert.equal(await wd.exec(pagesShown), await count());
  shot('05e-preview-letter');
  await wd.click('#preview-close');
  await wd.waitUntil(`return !document.querySelector('dialog.preview')`, [], 5000, 'preview closed');
  // Every document item offers to attach a scan or a photo.
  const items = await wd.exec(`return document.querySelectorAll('#checklist li[data-doc]').length`);
  assert.equal(await wd.exec(`return document.querySelectorAll('#checklist li[data-doc] button[data-action=attach]').length`), items);
});

// The native GTK file dialogs, driven with xdotool (tests/desktop/setup.sh
// installs it): the dialog is found by its title, the path typed into its
// location field, then Return.
const HAVE_XDOTOOL = (() => {
  try {
    execFileSync('xdotool', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function xdo(args) {
  return execFileSync('xdotool', args, { encoding: 'utf8', timeout: 20000 }).trim();
}

async function answerFileDialog(title, path) {
  const win = xdo(['search', '--sync', '--onlyvisible', '--name', title]).split('\n')[0];
  xdo(['windowfocus', '--sync', win]);
  await sleep(400);
  xdo(['key', '--clearmodifiers', 'ctrl+l']);
  await sleep(200);
  xdo(['key', '--clearmodifiers', 'ctrl+a']);
  xdo(['type', '--delay', '10', path]);
  await sleep(300);
  xdo(['key', 'Return']);
}

/** A real PNG "scan" (an RGB gradient), written without an image library. */
function png(w, h) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) row.set([x & 255, y & 255, 160], 1 + x * 3);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('a scan is attached through the open dialog, a text file is refused by name, the ANEF file and a previewed checklist are saved', { skip: !HAVE_XDOTOOL && 'xdotool is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sesame-e2e-files-'));
  writeFileSync(join(dir, 'recto.png'), png(1300, 900));
  writeFileSync(join(dir, 'notes.jpg'), 'du texte, pas une photo');
  const [d0] = globalThis.docs;
  const item = `li[data-doc="${d0}"]`;

  await wd.click(`${item} button[data-action=attach]`);
  await answerFileDialog('Joindre un scan', join(dir, 'recto.png'));
  await wd.waitFor(`${item} li[data-attachment]`, 20000);
  assert.match(await wd.text(`${item} li[data-attachment]`), /recto\.png[\s\S]*1 page/);
  await wd.exec(`document.querySelector('${item}').scrollIntoView()`);
  shot('05f-attached-fr');

  // Refused by content, named in the message, nothing stored.
  await wd.click(`${item} button[data-action=attach]`);
  await answerFileDialog('Joindre un scan', join(dir, 'notes.jpg'));
  await wd.waitFor(`${item} .banner.error`, 20000);
  assert.match(await wd.text(`${item} .banner.error`), /« notes\.jpg ».*Rien n'a été enregistré/);
  assert.equal(await wd.exec(`return document.querySelectorAll('${item} li[data-attachment]').length`), 1);
  shot('05g-attach-refused-fr');

  // The ANEF-ready file, through the save dialog.
  const anef = join(dir, 'piece-anef.pdf');
  await wd.click(`${item} button[data-action=export]`);
  await answerFileDialog('Enregistrer', anef);
  await wd.waitUntil(`return document.querySelector('${item} .banner.ok')?.innerText.includes('piece-anef.pdf')`, [], 20000, 'ANEF file saved');
  assert.equal(readFileSync(anef).subarray(0, 5).toString(), '%PDF-');

  // Delete, after a confirmation.
  await wd.click(`${item} button[data-action=delete]`);
  await wd.click(`${item} button[data-action=confirm-delete]`);
  await wd.waitUntil(`return document.querySelectorAll('${item} li[data-attachment]').length === 0`, [], 10000, 'attachment deleted');

  // A previewed checklist saved from the preview.
  const list = join(dir, 'liste.pdf');
  await wd.click('#print-list');
  await wd.waitFor('dialog[open] #preview-pages img.page', 20000);
  await wd.click('#preview-save');
  await answerFileDialog('Enregistrer', list);
  await wd.waitUntil(`return !document.querySelector('dialog.preview') && document.body.innerText.includes('liste.pdf')`, [], 20000, 'checklist saved from the preview');
  assert.ok(existsSync(list));
  assert.equal(readFileSync(list).subarray(0, 5).toString(), '%PDF-');
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
