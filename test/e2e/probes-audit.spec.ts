// The Probes & audit view (Alt+7) against the real engine in serve mode, on the planted fixtures:
// planted.ts (a GPT-2 fixture whose neuron blocks.0.mlp.hook_post[37] fires on the word " dog"
// itself) and planted-gender.ts (an attribute carried into the context that drives a planted
// outcome, with an SAE whose feature 5 drives it and feature 6 only encodes it). A probe trained
// from pasted lines finds neuron 37 and draws its path; the neuron audit finds neuron 37 only
// when every token is pooled (the old method: it is a token neuron) and not at the shared
// context; the SAE audit tags feature 5 bias and feature 6 gender-sensitive; findings show
// progress, effect sizes and counts and replay as matching; side names with markup in them stay
// text in the table and the chart's tooltip.

import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { PLANTED, PLANTED_PAIRS, writePlantedModel } from '../unit/audit/planted';
import { GENDER_FEATURE, GENDER_HOOK, GENDER_PAIRS, SENSITIVE_ONLY, outcomeTokens, writeGenderModel, writeGenderSae } from '../unit/audit/planted-gender';

const url = () => process.env.FEATURESCOPE_URL!;

/** The scrolling pane is .content, not the page: grow the window to its height for a whole-view picture. */
async function viewShot(page: Page, name: string) {
  const size = page.viewportSize()!;
  const height = await page.locator('main.content').evaluate((el) => el.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.min(2400, Math.max(size.height, height + 40)) });
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
  await page.setViewportSize(size);
}

/** Opaque pixels on a chart's canvas: ECharts drew something. */
const paintedPixels = (chart: Locator) =>
  chart.locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });

/** The value of the option whose text contains `text` (option values are ids the spec cannot know). */
const optionValue = (select: Locator, text: string) => select.locator('option', { hasText: text }).first().getAttribute('value');

test('train a probe from pasted lines, audit neurons and SAE features, replay a finding', async ({ page }) => {
  test.setTimeout(180_000);
  const modelDir = realpathSync(writePlantedModel());
  const genderDir = realpathSync(writeGenderModel());
  const saeDir = writeGenderSae(true);
  const work = mkdtempSync(join(tmpdir(), 'featurescope-pa-e2e-'));
  const setPath = join(work, 'animals.json');
  writeFileSync(setPath, JSON.stringify({ id: 'animals', title: 'The same sentence about a cat and about a dog', sideA: 'cat', sideB: 'dog', metric: { tokenA: 285, tokenB: 287 }, pairs: PLANTED_PAIRS }));
  const { nurse, engineer } = outcomeTokens();
  const genderPath = join(work, 'gender.json');
  writeFileSync(genderPath, JSON.stringify({ id: 'planted-gender', version: 2, title: 'cat as he, dog as she', sideA: 'cat', sideB: 'dog', attribute: 'gender', outcome: { tokenA: nurse, tokenB: engineer, label: 'nurse vs engineer' }, pairs: GENDER_PAIRS }));
  try {
    await page.goto(url());
    await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
    for (const dir of [genderDir, modelDir]) {
      await page.getByLabel('Model folder').fill(dir);
      await page.getByRole('button', { name: 'Open folder…' }).click();
      await expect(page.locator(`tr[data-model-path="${dir}"]`)).toBeVisible();
    }
    await page.getByRole('tablist', { name: 'Add or export an SAE' }).getByRole('tab', { name: 'Import' }).click();
    const importForm = page.getByRole('form', { name: 'Import an SAE' });
    await importForm.getByLabel('SAE folder or params.npz').fill(saeDir);
    await importForm.getByLabel('Name').fill('planted-gender-sae');
    await importForm.getByRole('button', { name: 'Import' }).click();
    await expect(importForm.locator('.ok-text')).toContainText(`at ${GENDER_HOOK}`);

    await page.keyboard.press('Alt+7');
    await expect(page.getByRole('heading', { name: 'Probes & audit', level: 1 })).toBeVisible();

    await test.step('probe: bad lines are named, then the planted neuron separates dog from cat', async () => {
      const form = page.getByRole('form', { name: 'Train a probe' });
      await form.getByLabel('Model').selectOption(modelDir);
      await form.getByLabel('Hook').selectOption(PLANTED.hook);
      await form.getByLabel('Name').fill('dog-vs-cat');
      const lines = form.getByLabel('Lines: label (0 or 1), a tab, the prompt');
      // Line 2 has no label, line 4 a label without text.
      await lines.fill(['0\tThe cat sat on the mat', 'The dog sat on the mat', '1\tThe dog sat on the mat', '1'].join('\n'));
      const errors = form.getByRole('list', { name: 'Lines that cannot be read' });
      await expect(errors.locator('li')).toHaveText([/^line 2: starts with "The"/, 'line 4: label 1 has no text after it']);
      await form.getByRole('button', { name: 'Train probe' }).click();
      await expect(form.locator('.field-error')).toContainText('examples: 2 lines cannot be read');

      await lines.fill(PLANTED_PAIRS.flatMap((p) => [`0\t${p.a}`, `1\t${p.b}`]).join('\n'));
      await expect(errors).toHaveCount(0);
      await expect(form.getByTestId('lines-status')).toHaveText('40 prompts · label 0: 20 · label 1: 20');
      await form.getByRole('button', { name: 'Train probe' }).click();

      const result = page.getByTestId('probe-result');
      await expect(result).toBeVisible({ timeout: 60_000 });
      await expect(result.getByTestId('probe-verdict')).toContainText('held-out (target 90.0%)');
      await expect(result.getByTestId('cite-id')).toHaveText(/^exp-\d{6}$/);
      const indices = await result.getByTestId('smallest-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-index'))));
      expect(indices).toContain(PLANTED.index);
      const chart = result.getByTestId('path-chart');
      const points = JSON.parse((await chart.getAttribute('data-points')) ?? '[]') as Array<[number, number]>;
      expect(points.length).toBeGreaterThan(3);
      expect(points[0]![0]).toBe(0); // the path starts with no unit
      expect(Math.max(...points.map((p) => p[1]))).toBeGreaterThanOrEqual(0.9);
      expect(await paintedPixels(chart)).toBeGreaterThan(500);
      expect(await paintedPixels(result.getByTestId('sparsity-chart'))).toBeGreaterThan(500);
      await viewShot(page, 'probes-audit-probe');

      // The probe is in the Experiment log and re-trains to the same path.
      const cite = (await result.getByTestId('cite-id').textContent())!;
      await result.getByRole('button', { name: 'Open in log' }).click();
      await expect(page.getByRole('table', { name: 'Experiment log' }).locator(`tbody tr[data-cite="${cite}"]`)).toHaveClass(/selected/);
      await page.getByRole('button', { name: 'Replay' }).click();
      await expect(page.getByTestId('replay-verdict')).toHaveText('matches');
      await page.keyboard.press('Alt+7');
    });

    await test.step('audit layer-0 neurons over a contrast-set file: the token neuron only by the old method; progress, findings, counts, replay', async () => {
      await page.getByRole('tab', { name: 'Bias audit' }).click();
      const form = page.getByRole('form', { name: 'Run an audit' });
      await form.getByLabel('Model').selectOption(modelDir);
      const setSelect = form.getByLabel('Contrast set', { exact: true });
      await expect(setSelect.locator('option', { hasText: 'gendered' })).toHaveCount(1); // the built-ins are listed
      await setSelect.selectOption('__file__');
      await form.getByLabel('Contrast set file').fill(setPath);
      await form.getByLabel('Layers (blank = all)').fill('0');
      await form.getByLabel('Top N').fill('5');
      // At the shared context (the default) the token neuron is no finding.
      await form.getByRole('button', { name: 'Run audit' }).click();
      const job = form.locator('.job-line');
      await expect(job).toHaveAttribute('data-state', 'finished', { timeout: 90_000 });
      await expect(page.getByTestId('audit-result').getByTestId('count-pairs')).toHaveText(String(PLANTED_PAIRS.length - 1));
      await expect(page.getByTestId('audit-result').locator(`[data-unit="${PLANTED.hook}[${PLANTED.index}]"]`)).toHaveCount(0);

      await form.getByLabel('Compare at').selectOption('all');
      await form.getByRole('button', { name: 'Run audit' }).click();

      await expect(job).toBeVisible();
      await expect(job.getByRole('progressbar')).toBeVisible();
      await expect(job).toHaveAttribute('data-state', 'finished', { timeout: 90_000 });
      await expect(job.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');

      const result = page.getByTestId('audit-result');
      await expect(result.getByTestId('count-pairs')).toHaveText(String(PLANTED_PAIRS.length));
      await expect(result.getByTestId('count-units')).toHaveText('128');
      await expect(result.getByTestId('report-path')).toContainText('.html');
      // The file's own side names head the columns.
      await expect(result.getByRole('columnheader', { name: 'Mean cat' })).toBeVisible();
      await expect(result.getByRole('columnheader', { name: 'Mean dog' })).toBeVisible();
      const rows = result.getByTestId('finding-row');
      await expect(rows.first()).toHaveAttribute('data-unit', `${PLANTED.hook}[${PLANTED.index}]`);
      const shown = await rows.count();
      expect(shown).toBeGreaterThan(0);
      expect(shown).toBeLessThanOrEqual(5);
      const effects = JSON.parse((await result.getByTestId('effect-chart').getAttribute('data-effects')) ?? '[]') as number[];
      expect(effects).toHaveLength(shown);
      expect(effects[0]!).toBeGreaterThan(0); // fires on the dog side
      expect(await paintedPixels(result.getByTestId('effect-chart'))).toBeGreaterThan(200);

      const first = rows.first();
      await first.getByRole('button', { name: /^Replay exp-/ }).click();
      await expect(first.getByTestId('replay-verdict')).toHaveText('matches', { timeout: 30_000 });
      await viewShot(page, 'probes-audit-neurons');
    });

    await test.step('audit the SAE features at the shared context: the driver tagged bias, the encoder gender-sensitive', async () => {
      const form = page.getByRole('form', { name: 'Run an audit' });
      await form.getByLabel('Model').selectOption(genderDir);
      await form.getByLabel('Compare at').selectOption('context');
      const units = form.getByLabel('Units');
      await units.selectOption((await optionValue(units, 'planted-gender-sae'))!);
      await form.getByLabel('Contrast set file').fill(genderPath);
      await form.getByRole('button', { name: 'Run audit' }).click();
      const result = page.getByTestId('audit-result');
      await expect(result.getByTestId('count-units')).toHaveText('32', { timeout: 90_000 });
      await expect(result.getByTestId('count-significant')).toHaveText('2');
      await expect(result.getByTestId('count-bias')).toHaveText('1');
      await expect(result.getByTestId('audit-sae')).toContainText(`planted-gender-sae · standard · 32 features at ${GENDER_HOOK}`);
      const rows = result.getByTestId('finding-row');
      await expect(rows).toHaveCount(2);
      await expect(rows.nth(0)).toHaveAttribute('data-unit', `${GENDER_HOOK}[${GENDER_FEATURE}]`);
      await expect(rows.nth(0).getByTestId('finding-role')).toHaveText('bias');
      await expect(rows.nth(1)).toHaveAttribute('data-unit', `${GENDER_HOOK}[${SENSITIVE_ONLY}]`);
      await expect(rows.nth(1).getByTestId('finding-role')).toHaveText('gender-sensitive');
      const row = rows.nth(0);
      await row.getByRole('button', { name: /^Replay exp-/ }).click();
      await expect(row.getByTestId('replay-verdict')).toHaveText('matches', { timeout: 30_000 });
      await viewShot(page, 'probes-audit-sae');
    });

    await test.step('side names from a contrast-set file are text everywhere, the chart tooltip too', async () => {
      // A hostile file: if a side name reached innerHTML, the image would fail to load and set window.__xss.
      const hostileA = '<img src=x onerror="window.__xss=1">cat';
      const hostileB = '<b>dog</b>';
      const hostilePath = join(work, 'hostile.json');
      writeFileSync(hostilePath, JSON.stringify({ id: 'hostile', title: 'markup in the side names', sideA: hostileA, sideB: hostileB, pairs: GENDER_PAIRS }));
      const form = page.getByRole('form', { name: 'Run an audit' });
      await form.getByLabel('Contrast set file').fill(hostilePath);
      await form.getByRole('button', { name: 'Run audit' }).click();
      const result = page.getByTestId('audit-result');
      await expect(result.getByRole('columnheader', { name: `Mean ${hostileA}` })).toBeVisible({ timeout: 90_000 });
      await expect(result.getByTestId('finding-row')).toHaveCount(2);

      // Sweep the plot band down the chart's middle until ECharts shows the bar's item tooltip
      // (the one bar runs from 0 to d, past the middle; its row is a few pixels tall).
      const chart = result.getByTestId('effect-chart');
      const tip = chart.locator(':scope > div', { hasText: "Cohen's d" });
      await chart.scrollIntoViewIfNeeded();
      const box = (await chart.boundingBox())!;
      for (let y = 4; y < box.height - 16 && !(await tip.isVisible()); y += 2) {
        await page.mouse.move(box.x + box.width * 0.6, box.y + y);
        await page.waitForTimeout(50);
      }
      await expect(tip).toBeVisible();
      await expect(tip).toContainText(`mean ${hostileA} 0`);
      await expect(tip).toContainText(hostileB);
      await expect(tip.locator('img, b')).toHaveCount(0);
      await expect(page.locator('img[src="x"]')).toHaveCount(0);
      expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
      await page.screenshot({ path: 'test-results/screenshots/probes-audit-hostile-tooltip.png' });
    });
  } finally {
    for (const dir of [work, saeDir, modelDir, genderDir]) rmSync(dir, { recursive: true, force: true });
  }
});
