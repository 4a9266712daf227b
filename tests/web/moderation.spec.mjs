// The moderation page in Debian's chromium (headless, through playwright-core): a manager
// logs in, finds the held parent upload in the queue, opens it, blurs the journal owner's
// face and unblurs it again (each time the photo is painted again and the page polls until
// it is), approves, and the item is published. Screenshots of the queue and the item view go
// to $VEIL_SCREENSHOTS. Run by run-browser-test, which prepares veild and the data.
//
// Environment: VEIL_URL, VEIL_USER, VEIL_PASSWORD, VEIL_MEDIA_ID, VEIL_CHROMIUM, VEIL_SCREENSHOTS.
import { chromium } from 'playwright-core';

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};
const url = env('VEIL_URL'), media = env('VEIL_MEDIA_ID'), shots = env('VEIL_SCREENSHOTS');
const STEP_MS = 20000, RENDER_MS = 120000;  // one UI step; painting the photo again

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const browser = await chromium.launch({
  executablePath: env('VEIL_CHROMIUM'),
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],  // root in a container has no usable sandbox
  timeout: 60000,
});
let failed = false;
let page = null;
try {
  const context = await browser.newContext({ viewport: { width: 1180, height: 820 } });  // a landscape tablet
  page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const problems = [];
  // Script errors count; the browser's own note of a 401 before logging in does not.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') console.error(`browser console: ${m.text()}`); });

  await page.goto(url);
  await page.getByLabel('Name').fill(env('VEIL_USER'));
  await page.getByLabel('Password').fill(env('VEIL_PASSWORD'));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#who', { hasText: env('VEIL_USER') }).waitFor();

  // The queue: the held upload is there, with its reason.
  const card = page.locator(`.card[data-id="${media}"]`);
  await card.waitFor();
  check((await card.getAttribute('aria-label')).includes('parent upload'), 'the card names the reason');
  check(await page.locator('#queue-counts').innerText().then((t) => t.includes('parent upload: 1')),
        'the counts by reason');
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  const queueShot = `${shots}/queue.png`;
  await page.screenshot({ path: queueShot, fullPage: true });
  console.log(`screenshot: ${queueShot}`);

  // The item: faces as labelled buttons over the photo.
  await card.click();
  await page.locator('#review').waitFor({ state: 'visible' });
  await page.waitForFunction(() => document.getElementById('review').naturalWidth > 0);
  const labels = await page.locator('#overlays button.face').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')));
  console.log(`faces: ${labels.join(' | ')}`);
  const ownerIndex = labels.findIndex((l) => l.includes('Kit'));
  check(ownerIndex >= 0, `a face is matched to Kit: ${labels}`);
  check(labels[ownerIndex].includes('shown'), 'the journal owner is shown to start with');
  check(labels.some((l) => l.includes('Rose') && l.includes('blurred')), 'Rose (no consent) is blurred');
  const n = ownerIndex + 1;

  // Keyboard alone: select the face by its number, blur it (b), wait for the new painting.
  await page.locator('#item-title').focus();
  await page.keyboard.press(String(n));
  await page.locator('#face-selected', { hasText: `Face ${n}:` }).waitFor();
  await page.keyboard.press('b');
  await page.locator('#review-placeholder', { hasText: 'Painting' }).waitFor();
  await page.locator('#status', { hasText: /^Done: the photo is painted again/ }).waitFor({ timeout: RENDER_MS });
  const blurred = await page.locator(`#overlays button.face >> nth=${n - 1}`).getAttribute('aria-label');
  check(blurred.includes('blurred'), `face ${n} is blurred now: ${blurred}`);

  // Unblur the journal owner with the button (u would do the same).
  await page.getByRole('button', { name: 'Unblur', exact: true }).click();
  await page.locator('#status', { hasText: `Face ${n} will be shown` }).waitFor();
  await page.locator('#status', { hasText: /^Done: the photo is painted again/ }).waitFor({ timeout: RENDER_MS });
  await page.waitForFunction(() => document.getElementById('review').naturalWidth > 0 &&
    document.getElementById('review').complete);
  const shown = await page.locator(`#overlays button.face >> nth=${n - 1}`).getAttribute('aria-label');
  check(shown.includes('shown'), `face ${n} is shown again: ${shown}`);
  await page.locator(`#overlays button.face >> nth=${n - 1}`).focus();
  const itemShot = `${shots}/item.png`;
  await page.screenshot({ path: itemShot, fullPage: true });
  console.log(`screenshot: ${itemShot}`);

  // The assign picker names the children.
  const options = await page.locator('#assign-child option').allInnerTexts();
  check(options.includes('Kit') && options.includes('Rose'), `the children to assign to: ${options}`);

  // Drawing a box on the photo fills the "add a face" form (not sent here).
  await page.evaluate(() => window.scrollBy(0, document.getElementById('overlays').getBoundingClientRect().top - 10));
  const stage = await page.locator('#overlays').boundingBox();  // in the viewport now
  await page.mouse.move(stage.x + stage.width * 0.1, stage.y + stage.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(stage.x + stage.width * 0.3, stage.y + stage.height * 0.65, { steps: 5 });
  await page.mouse.up();
  const drawn = await page.locator('#box-w').inputValue();
  check(Number(drawn) > 0, `a drawn box fills the form: width ${drawn}`);

  // Approve with a note (a would do the same).
  await page.getByLabel('Note (optional)').fill('Checked with Kit\'s key person');
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  await page.locator('#status', { hasText: /^Approved/ }).waitFor();
  const item = await page.evaluate(async (id) => (await fetch(`/api/media/${id}`)).json(), media);
  check(item.state === 'published', `published: ${item.state}`);
  check(item.moderation.decided_by === env('VEIL_USER'), 'decided by the manager');

  // It is in the recently published list now.
  await page.getByRole('link', { name: 'Published' }).click();
  await page.locator(`#published-grid .card[data-id="${media}"]`).waitFor();
  const publishedShot = `${shots}/published.png`;
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  await page.screenshot({ path: publishedShot, fullPage: true });
  console.log(`screenshot: ${publishedShot}`);

  // The login history (managers), and the shortcuts' help from the keyboard.
  await page.getByRole('link', { name: 'Login history' }).click();
  await page.locator('#logins-body tr', { hasText: 'logged in' }).first().waitFor();
  await page.keyboard.press('?');
  check(await page.locator('#help').evaluate((d) => d.open), 'the help opens with ?');
  await page.keyboard.press('Escape');
  const loginsShot = `${shots}/logins.png`;
  await page.screenshot({ path: loginsShot, fullPage: true });
  console.log(`screenshot: ${loginsShot}`);

  // A tablet held upright: one column.
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.goto(`${url}#/item/${media}`);
  await page.waitForFunction(() => document.getElementById('review').naturalWidth > 0 &&
    document.getElementById('review').complete);
  const portraitShot = `${shots}/item-tablet-portrait.png`;
  await page.screenshot({ path: portraitShot, fullPage: true });
  console.log(`screenshot: ${portraitShot}`);

  check(problems.length === 0, `no script errors: ${problems.join('; ')}`);
  console.log('moderation page: logged in, unblurred the journal owner, approved: published');
} catch (err) {
  failed = true;
  console.error(err);
  if (page) {
    const shot = `${shots}/failure.png`;
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${shot}`);
    console.error(`page text:\n${await page.locator('body').innerText().catch(() => '?')}`);
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
