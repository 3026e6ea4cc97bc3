// Opt-in measurement of the explorer on a big catalog (e.g. the 1M-feature one that
// `npx tsx scripts/bench/catalog.ts --db <home>/workspaces/default/catalog.sqlite` writes):
//   FEATURESCOPE_E2E_BIG_HOME=<home> npx playwright test test/e2e/features-million.spec.ts
// It starts its own `featurescope serve` on that home and prints timings; it asserts behaviour
// (rows arrive, the right offset is fetched), never a wall time.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';

const home = process.env.FEATURESCOPE_E2E_BIG_HOME;
test.skip(!home, 'set FEATURESCOPE_E2E_BIG_HOME to a home with a big catalog to measure the explorer on it');

let server: ChildProcess | undefined;
let url = '';

test.beforeAll(async () => {
  server = spawn(process.execPath, [resolve(__dirname, '../../bin/featurescope.js'), 'serve'], { env: { ...process.env, FEATURESCOPE_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((ok, fail) => {
    let out = '';
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out);
      if (m) ok(m[0]);
    });
    server!.on('exit', (code) => fail(new Error(`serve exited with ${code}: ${out}`)));
  });
});
test.afterAll(async () => {
  server?.kill('SIGTERM');
});

const list = (page: Page) => page.getByRole('listbox', { name: 'Features' });
const shownIdx = (page: Page) => list(page).locator('[role=option][data-idx]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-idx'))));

test('a million features: first rows, a jump to the middle, search latency', async ({ page }) => {
  const t0 = Date.now();
  await page.goto(url);
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready', { timeout: 60_000 });
  await page.keyboard.press('Alt+3');
  await expect(list(page).locator('[role=option][data-idx]').first()).toBeVisible({ timeout: 60_000 });
  const total = Number(await list(page).getAttribute('data-total'));
  console.log(`${total.toLocaleString()} features: first rows on screen ${Date.now() - t0} ms after navigation`);
  expect(total).toBeGreaterThan(100_000);

  // Drag the scrollbar to the middle: the rows there are fetched by offset.
  const jump = await page.evaluate(async () => {
    const box = document.getElementById('fx-list')!;
    const t = performance.now();
    box.scrollTop = box.scrollHeight / 2;
    for (;;) {
      await new Promise((r) => requestAnimationFrame(r));
      const rows = [...box.querySelectorAll('[role=option][data-idx]')];
      const moved = rows.length > 10 && Number(rows[0]!.getAttribute('data-index')) > 1000;
      if (moved && box.querySelectorAll('[role=option].loading').length === 0) return { ms: performance.now() - t, first: Number(rows[0]!.getAttribute('data-index')) };
      if (performance.now() - t > 30_000) return { ms: -1, first: -1 };
    }
  });
  console.log(`scroll to the middle: rows at position ${jump.first.toLocaleString()} on screen in ${jump.ms.toFixed(0)} ms`);
  expect(jump.first).toBeGreaterThan(total * 0.4);
  const mid = await shownIdx(page);
  expect(mid.length).toBeGreaterThan(10);

  // Frame times while wheel-scrolling through already-fetched and new rows.
  const frames = await page.evaluate(async () => {
    const box = document.getElementById('fx-list')!;
    const times: number[] = [];
    let last = performance.now();
    for (let i = 0; i < 120; i++) {
      box.scrollTop += 90;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      times.push(now - last);
      last = now;
    }
    return times.sort((a, b) => a - b);
  });
  console.log(`wheel-like scrolling: frame median ${frames[60]!.toFixed(1)} ms, p95 ${frames[114]!.toFixed(1)} ms, max ${frames[119]!.toFixed(1)} ms`);

  // Search latency: words taken from the rows on screen (or everyday words when they show none).
  const seen = [...new Set((await list(page).locator('.tok-chip').allTextContents()).map((t) => t.replace(/^·/, '').trim()).filter((w) => /^\w{3,}$/.test(w)))];
  const words = (seen.length >= 3 ? seen : ['river', 'court', 'Paris', 'nurse', 'zebra', 'January']).slice(0, 6);
  await page.evaluate(() => {
    const input = document.querySelector<HTMLInputElement>('input[aria-label="Search features"]')!;
    const box = document.getElementById('fx-list')!;
    const w = window as unknown as { __lat: number[] };
    w.__lat = [];
    let last: { q: string; t: number } | null = null;
    input.addEventListener('input', () => (last = { q: input.value.trim(), t: performance.now() }));
    new MutationObserver(() => {
      if (last && box.getAttribute('data-results-for') === last.q) {
        w.__lat.push(performance.now() - last.t);
        last = null;
      }
    }).observe(box, { attributes: true, attributeFilter: ['data-results-for'] });
  });
  const search = page.getByLabel('Search features');
  for (const word of words) {
    await search.fill('');
    await search.pressSequentially(word, { delay: 250 });
    await expect(list(page)).toHaveAttribute('data-results-for', word, { timeout: 30_000 });
  }
  const lat = (await page.evaluate(() => (window as unknown as { __lat: number[] }).__lat)).sort((a, b) => a - b);
  console.log(
    `search latency over ${lat.length} keystrokes on ${total.toLocaleString()} features (includes the 100 ms debounce): ` +
      `median ${lat[Math.floor(lat.length / 2)]!.toFixed(0)} ms, p90 ${lat[Math.floor(lat.length * 0.9)]!.toFixed(0)} ms, max ${lat[lat.length - 1]!.toFixed(0)} ms`,
  );
  await page.screenshot({ path: 'test-results/screenshots/features-million.png' });

  // A prefix shared by most of a million features: the total is counted only so far and says so
  // ("10,000+"); scrolling to the end of the list counts further and lengthens it.
  // The commonest two-letter start of the words on screen.
  const starts = new Map<string, number>();
  for (const m of ((await list(page).textContent()) ?? '').toLowerCase().matchAll(/\b([a-z]{2})[a-z]{2,}/g)) starts.set(m[1]!, (starts.get(m[1]!) ?? 0) + 1);
  const prefix = `${[...starts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'th'}*`;
  const t1 = Date.now();
  await search.fill(prefix);
  await expect(list(page)).toHaveAttribute('data-results-for', prefix, { timeout: 30_000 });
  console.log(`prefix search ${prefix}: rows on screen ${Date.now() - t1} ms after typing (includes the 100 ms debounce)`);
  await expect(list(page)).toHaveAttribute('data-total-lower-bound', 'true');
  await expect(page.getByTestId('result-count')).toHaveText(/^[\d,]+\+ of [\d,]+ features/);
  const before = Number(await list(page).getAttribute('data-total'));
  await page.screenshot({ path: 'test-results/screenshots/features-million-lower-bound.png' });
  await page.evaluate(() => {
    const box = document.getElementById('fx-list')!;
    box.scrollTop = box.scrollHeight;
  });
  await expect.poll(async () => Number(await list(page).getAttribute('data-total')), { timeout: 30_000 }).toBeGreaterThan(before);
  console.log(`scrolled to the end: total grew from ${before.toLocaleString()}+ to ${Number(await list(page).getAttribute('data-total')).toLocaleString()}+`);
});
