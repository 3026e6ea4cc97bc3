// Every view of the workbench on a real small workspace, at two window sizes (#18): the planted
// gender model (test/unit/audit/planted-gender.ts) opened from its folder, its planted SAE imported
// and analysed over a corpus of its sentences, a second SAE captured and trained on it in the app,
// an SAE audit that tags feature 5 `bias` and feature 6 `gender-sensitive`, a playground run, an
// attribution run and a watchlist. Each view is photographed into test-results/screens/ and must
// not overflow sideways, clip a number, show "�", or show a raw key or raw JSON.
//
// Also the tag → audit link: the audited feature's page shows the audit's tag, and pressing it
// opens the audit finding that set it in the Experiment log.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { GENDER_FEATURE, GENDER_HOOK, GENDER_PAIRS, SENSITIVE_ONLY, outcomeTokens, writeGenderModel, writeGenderSae } from '../unit/audit/planted-gender';
import { addCorpusFolder } from './corpus-folders';

const url = () => process.env.FEATURESCOPE_URL!;
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 },
];
const SAE_NAME = 'screens-gender-sae';
const TRAINED_NAME = 'screens-trained';

/**
 * The contract's camelCase field names (tokensPerSecond, saeId, cohenD…): keys of the code, never
 * words of the app. Read from the contract itself, so a new field is checked too. (Model tokens
 * such as "nThe" are camelCase as well, and are text the app must show: hence no blanket rule.)
 */
function contractKeys(): string[] {
  const dir = resolve(__dirname, '../../src/shared/contract');
  const keys = new Set<string>(['tokensPerSecond']);
  for (const file of readdirSync(dir)) for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/\b([a-z]+[A-Z][A-Za-z0-9]*)\??: z\./g)) keys.add(m[1]!);
  return [...keys];
}

/** What the checks found wrong in one view, in words (empty: nothing). */
async function problemsOf(page: Page): Promise<string[]> {
  return page.evaluate((keys) => {
    const out: string[] = [];
    const main = document.querySelector('main.content') as HTMLElement;
    if (main.scrollWidth > main.clientWidth + 1) out.push(`main area overflows sideways: ${main.scrollWidth} > ${main.clientWidth}`);
    // A table or form that scrolls sideways inside its panel hides its last columns just the same.
    for (const el of Array.from(main.querySelectorAll<HTMLElement>('*'))) {
      const s = getComputedStyle(el);
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll') && !['TEXTAREA', 'INPUT', 'SELECT'].includes(el.tagName) && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
        out.push(`scrolls sideways: <${el.tagName.toLowerCase()} class="${el.className}" aria-label="${el.getAttribute('aria-label') ?? ''}"> (${el.scrollWidth} > ${el.clientWidth})`);
    }
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    // A number cut off by its box (an ellipsis, or overflow hidden) reads as another number.
    const number = /^[-+−]?[\d,.:]+(e[-+]?\d+)?\s?%?$/i; // 4.63, 1,024, 12.5 %, 1e-5, 09:39:13
    for (const el of Array.from(main.querySelectorAll<HTMLElement>('*'))) {
      if (el.children.length > 0 || !visible(el)) continue;
      const text = (el.textContent ?? '').trim();
      if (!number.test(text)) continue;
      // The nearest box that hides overflow decides whether the number is cut.
      for (let box: HTMLElement | null = el; box && box !== main; box = box.parentElement) {
        const s = getComputedStyle(box);
        const hides = s.overflowX === 'hidden' || s.overflowX === 'clip' || s.textOverflow === 'ellipsis';
        if (hides) {
          if (box.scrollWidth > box.clientWidth + 1) out.push(`number clipped: "${text}" in <${box.tagName.toLowerCase()} class="${box.className}"> (${box.scrollWidth} > ${box.clientWidth})`);
          break;
        }
      }
    }
    const text = document.body.innerText;
    if (text.includes('\uFFFD')) out.push('a "�" is shown');
    if (text.includes('{"')) out.push('raw JSON ({") is shown');
    const words = new Set(text.match(/\b[A-Za-z][A-Za-z0-9]*\b/g) ?? []);
    const shown = keys.filter((k) => words.has(k));
    if (shown.length > 0) out.push(`raw keys shown: ${shown.join(', ')}`);
    return out;
  }, contractKeys());
}

/** Check the view as it is, then photograph it: the window, and the whole scrolling pane when it is taller. */
async function shootView(page: Page, name: string) {
  const size = page.viewportSize()!;
  const tag = `${size.width}x${size.height}`;
  await page.waitForTimeout(300); // charts animate in; the picture is of the settled view, the checks do not wait on it
  expect(await problemsOf(page), `${name} at ${tag}`).toEqual([]);
  mkdirSync('test-results/screens', { recursive: true });
  await page.screenshot({ path: `test-results/screens/${tag}-${name}.png` });
  const height = await page.locator('main.content').evaluate((el) => el.scrollHeight);
  if (height > size.height - 24) {
    await page.setViewportSize({ width: size.width, height: Math.min(3000, height + 40) });
    await page.screenshot({ path: `test-results/screens/${tag}-${name}-whole.png` });
    await page.setViewportSize(size);
  }
}

/** The value of the option whose text contains `text` (option values are ids the spec cannot know). */
const optionValue = async (page: Page, label: string, text: string) => (await page.getByLabel(label, { exact: true }).locator('option', { hasText: text }).first().getAttribute('value'))!;

test('every view at 1440×900 and 1280×800, on a real small workspace; the audit tag on a feature page opens its audit', async ({ page }) => {
  test.setTimeout(480_000);
  const work = realpathSync(mkdtempSync(join(tmpdir(), 'featurescope-screens-')));
  const modelDir = realpathSync(writeGenderModel());
  const saeDir = writeGenderSae(true);
  const corpus = join(work, 'sentences.txt');
  writeFileSync(corpus, Array.from({ length: 30 }, () => GENDER_PAIRS.flatMap((p) => [p.a, p.b])).flat().join('\n'));
  const { nurse, engineer } = outcomeTokens();
  const setPath = join(work, 'gender.json');
  writeFileSync(setPath, JSON.stringify({ id: 'screens-gender', version: 2, title: 'cat as he, dog as she', sideA: 'cat', sideB: 'dog', attribute: 'gender', outcome: { tokenA: nurse, tokenB: engineer, label: 'nurse vs engineer' }, pairs: GENDER_PAIRS }));
  let auditCite = '';
  try {
    await page.goto(url());
    await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
    await addCorpusFolder(page, work);

    await test.step('build the workspace: open the model, import and analyse its SAE, capture and train another', async () => {
      await page.getByLabel('Model folder').fill(modelDir);
      await page.getByRole('button', { name: 'Open folder…' }).click();
      await expect(page.locator(`tr[data-model-path="${modelDir}"]`)).toBeVisible();
      await page.getByRole('tablist', { name: 'Add or export an SAE' }).getByRole('tab', { name: 'Import' }).click();
      const importForm = page.getByRole('form', { name: 'Import an SAE' });
      await importForm.getByLabel('SAE folder or params.npz').fill(saeDir);
      await importForm.getByLabel('Name').fill(SAE_NAME);
      await importForm.getByRole('button', { name: 'Import' }).click();
      await expect(importForm.locator('.ok-text')).toContainText(`at ${GENDER_HOOK}`);

      const saeRow = page.locator(`tr[data-sae-name="${SAE_NAME}"]`);
      await saeRow.getByRole('button', { name: 'Analyse…' }).click();
      const analyse = page.getByRole('form', { name: `Analyse ${SAE_NAME}` });
      await analyse.getByLabel('Corpus path').fill(corpus);
      await analyse.getByLabel('Model').selectOption(modelDir);
      await analyse.getByRole('button', { name: 'Analyse' }).click();
      await expect(saeRow.getByTestId('analysis-state')).toContainText('features', { timeout: 120_000 });

      const capture = page.getByRole('form', { name: 'Capture activations' });
      await capture.getByLabel('Model').selectOption(modelDir);
      await capture.getByLabel('Corpus path').fill(corpus);
      await capture.getByLabel('Hook').selectOption(GENDER_HOOK);
      await capture.getByLabel('Name').fill('screens-capture');
      await capture.getByLabel('Max tokens').fill('4000');
      await capture.getByRole('button', { name: 'Capture' }).click();
      await expect(capture.locator('.job-line')).toHaveAttribute('data-state', 'finished', { timeout: 120_000 });

      await page.getByRole('tablist', { name: 'Add or export an SAE' }).getByRole('tab', { name: 'Train' }).click();
      const train = page.getByRole('form', { name: 'Train an SAE' });
      const store = await train.locator('#captured-stores option[value*="screens-capture"]').first().getAttribute('value', { timeout: 20_000 });
      await train.getByLabel('Activation store').fill(store!);
      await train.getByLabel('Name').fill(TRAINED_NAME);
      await train.getByLabel('d_sae').fill('64');
      await train.getByLabel('k', { exact: true }).fill('4');
      await train.getByLabel('Steps').fill('300');
      await train.getByLabel('Batch').fill('128');
      await train.getByRole('button', { name: 'Train' }).click();
      await expect(train.locator('.job-line')).toHaveAttribute('data-state', 'finished', { timeout: 180_000 });
    });

    await test.step('the Jobs view says where the final figures of a training job come from; its result scrolls inside the detail pane', async () => {
      await page.keyboard.press('Alt+2');
      const row = page.locator('tr[data-job-id]').filter({ has: page.getByTestId('job-target').getByText(`SAE "${TRAINED_NAME}"`, { exact: true }) });
      await row.click();
      const detail = page.getByRole('region', { name: 'Job detail' });
      const figures = detail.getByTestId('job-figures');
      await expect(figures.locator('[data-source="training"]')).toContainText(/^training, last batch of 128 tokens: explained variance -?\d\.\d{3} · L0 \d+\.\d/);
      await expect(figures.locator('[data-source="evaluation"]')).toContainText(/^evaluation over [\d,]+ tokens: CE recovered -?\d\.\d{3} · KL score/);
      await expect(detail.getByRole('rowheader', { name: 'Training (last batch) · Explained variance' })).toBeVisible();
      // Scrolled to its end, the detail pane moves; the job list beside it does not.
      const listTop = await row.evaluate((el) => el.getBoundingClientRect().top);
      await detail.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      expect(await detail.evaluate((el) => el.scrollHeight > el.clientHeight && el.scrollTop > 0)).toBe(true);
      expect(await row.evaluate((el) => el.getBoundingClientRect().top)).toBe(listTop);
      await detail.evaluate((el) => el.scrollTo(0, 0));
    });

    await test.step('audit the imported SAE: feature 5 tagged bias, feature 6 gender-sensitive', async () => {
      await page.keyboard.press('Alt+7');
      await page.getByRole('tab', { name: 'Bias audit' }).click();
      const form = page.getByRole('form', { name: 'Run an audit' });
      await form.getByLabel('Model').selectOption(modelDir);
      await form.getByLabel('Compare at').selectOption('context');
      await form.getByLabel('Units').selectOption(await optionValue(page, 'Units', SAE_NAME));
      await form.getByLabel('Contrast set', { exact: true }).selectOption('__file__');
      await form.getByLabel('Contrast set file').fill(setPath);
      await form.getByRole('button', { name: 'Run audit' }).click();
      const result = page.getByTestId('audit-result');
      await expect(result.getByTestId('count-bias')).toHaveText('1', { timeout: 120_000 });
      const rows = result.getByTestId('finding-row');
      await expect(rows.nth(0).getByTestId('finding-role')).toHaveText('bias');
      await expect(rows.nth(1).getByTestId('finding-role')).toHaveText('gender-sensitive');
      await expect(rows.nth(0)).toHaveAttribute('data-unit', `${GENDER_HOOK}[${GENDER_FEATURE}]`);
      auditCite = (await rows.nth(0).getAttribute('data-cite'))!;
    });

    await test.step('the feature page shows the audit tag, and the tag opens the audit that set it', async () => {
      await page.keyboard.press('Alt+3');
      await page.getByLabel('SAE', { exact: true }).selectOption(await optionValue(page, 'SAE', SAE_NAME));
      await page.getByRole('listbox', { name: 'Features' }).locator(`[role=option][data-idx="${GENDER_FEATURE}"]`).click();
      const featurePage = page.getByTestId('feature-page');
      await expect(featurePage).toHaveAttribute('data-idx', String(GENDER_FEATURE));
      const tag = featurePage.locator('.chip[data-tag="bias"]');
      await expect(tag).toBeVisible();
      const source = tag.getByTestId('tag-source');
      const cite = (await source.textContent())!;
      expect(cite).toMatch(/^exp-\d{6,}$/);
      await source.click();
      await expect(page.getByRole('heading', { name: 'Experiment log', level: 1 })).toBeVisible();
      const selected = page.getByRole('table', { name: 'Experiment log' }).locator('tbody tr.selected');
      await expect(selected).toHaveAttribute('data-cite', cite);
      // The link opens the audit's finding for this very feature: the one the audit result listed first.
      expect(cite).toBe(auditCite);
      const detail = page.getByRole('region', { name: 'Experiment detail' });
      await expect(detail.getByTestId('logged-subject')).toHaveText(`feature ${GENDER_FEATURE} at ${GENDER_HOOK}`);
      await expect(detail.getByTestId('logged-tag')).toHaveText('bias');
      await shootView(page, 'experiment-audit-finding');
      // The other audited feature links to its own finding, with its own tag.
      await page.keyboard.press('Alt+3');
      await page.getByRole('button', { name: '← Back' }).click();
      await page.getByRole('listbox', { name: 'Features' }).locator(`[role=option][data-idx="${SENSITIVE_ONLY}"]`).click();
      await expect(page.getByTestId('feature-page').locator('.chip[data-tag="gender-sensitive"]').getByTestId('tag-source')).toHaveText(/^exp-\d{6,}$/);
    });

    await test.step('a playground run, an attribution run and a watchlist, so those views show results', async () => {
      await page.keyboard.press('Alt+4');
      const run = page.getByRole('form', { name: 'Run a prompt' });
      await run.getByLabel('Model').selectOption(modelDir);
      await run.getByLabel('Prompt').fill(GENDER_PAIRS[0]!.b);
      await run.getByRole('button', { name: 'Run' }).click();
      await expect(page.getByRole('region', { name: 'Result' })).toBeVisible({ timeout: 60_000 });

      await page.keyboard.press('Alt+6');
      const rank = page.getByRole('form', { name: 'Rank units' });
      await rank.getByLabel('Model').selectOption(modelDir);
      await rank.getByLabel('Prompt', { exact: true }).fill(GENDER_PAIRS[0]!.b);
      await rank.getByLabel('Token', { exact: true }).fill(`id:${nurse}`);
      await rank.getByRole('button', { name: 'Rank' }).click();
      await expect(page.getByTestId('rank-result')).toBeVisible({ timeout: 60_000 });

      await page.keyboard.press('Alt+3');
      const watch = page.getByTestId('feature-page').getByLabel('Add to a watchlist');
      await watch.getByLabel('Watchlist').selectOption('__new__').catch(() => undefined);
      if (await watch.getByLabel('New watchlist name').isVisible()) await watch.getByLabel('New watchlist name').fill('screens-watch');
      await watch.getByRole('button', { name: /^Watch/ }).click();
      await expect(watch.getByRole('button', { name: 'Watched' })).toBeVisible();
    });

    for (const size of SIZES) {
      await test.step(`every view at ${size.width}×${size.height}`, async () => {
        await page.setViewportSize(size);
        await page.keyboard.press('Alt+1');
        await shootView(page, 'home');

        await page.keyboard.press('Alt+2');
        await page.locator('tr[data-job-id]').filter({ has: page.getByTestId('job-target').getByText(`SAE "${TRAINED_NAME}"`, { exact: true }) }).first().click();
        await shootView(page, 'jobs-training');

        await page.keyboard.press('Alt+3');
        if (!(await page.getByTestId('feature-page').isVisible())) await page.getByRole('listbox', { name: 'Features' }).locator(`[role=option][data-idx="${GENDER_FEATURE}"]`).click();
        await expect(page.getByTestId('feature-page')).toBeVisible();
        await shootView(page, 'feature-page');
        await page.getByRole('button', { name: '← Back' }).click();
        await shootView(page, 'features');

        await page.keyboard.press('Alt+4');
        await shootView(page, 'playground');
        await page.keyboard.press('Alt+5');
        await shootView(page, 'experiment-log');
        await page.keyboard.press('Alt+6');
        await shootView(page, 'attribution');
        await page.keyboard.press('Alt+7');
        await page.getByRole('tab', { name: 'Bias audit' }).click();
        await shootView(page, 'audit');
        await page.getByRole('tab', { name: 'Sparse probe' }).click();
        await shootView(page, 'probes');
        await page.keyboard.press('Alt+8');
        await shootView(page, 'watchlists');
        await page.keyboard.press('Alt+9');
        await shootView(page, 'system');
      });
    }
  } finally {
    for (const dir of [work, saeDir, modelDir]) rmSync(dir, { recursive: true, force: true });
  }
});
