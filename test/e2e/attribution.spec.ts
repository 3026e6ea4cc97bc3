import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { writeSafetensors } from '../../src/engine/formats/safetensors';

const url = () => process.env.FEATURESCOPE_URL!;
const GPT2 = realpathSync(resolve(__dirname, '../fixtures/models/gpt2'));

/** The scrolling pane is .content, not the page: grow the window to its height for a whole-view picture. */
async function viewShot(page: Page, name: string) {
  const size = page.viewportSize()!;
  const height = await page.locator('main.content').evaluate((el) => el.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.min(2400, Math.max(size.height, height + 40)) });
  await page.screenshot({ path: `test-results/screenshots/${name}.png`, fullPage: true });
  await page.setViewportSize(size);
}

const SAE_HOOK = 'blocks.1.hook_resid_post';
const D_IN = 32;
const D_SAE = 48;

/** A small ReLU SAE for the GPT-2 fixture as a SAELens folder: random unit decoder rows, W_enc = W_decᵀ. */
function writeSae(): string {
  const dir = mkdtempSync(join(tmpdir(), 'featurescope-attr-sae-'));
  let a = 99;
  const rand = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const wDec = new Float32Array(D_SAE * D_IN);
  for (let f = 0; f < D_SAE; f++) {
    const row = Array.from({ length: D_IN }, rand);
    const norm = Math.hypot(...row);
    row.forEach((v, k) => (wDec[f * D_IN + k] = v / norm));
  }
  const wEnc = new Float32Array(D_IN * D_SAE);
  for (let f = 0; f < D_SAE; f++) for (let k = 0; k < D_IN; k++) wEnc[k * D_SAE + f] = wDec[f * D_IN + k]!;
  writeSafetensors(join(dir, 'sae_weights.safetensors'), [
    { name: 'W_enc', dtype: 'F32', shape: [D_IN, D_SAE], data: wEnc },
    { name: 'W_dec', dtype: 'F32', shape: [D_SAE, D_IN], data: wDec },
    { name: 'b_enc', dtype: 'F32', shape: [D_SAE], data: new Float32Array(D_SAE) },
    { name: 'b_dec', dtype: 'F32', shape: [D_IN], data: new Float32Array(D_IN) },
  ]);
  const cfg = { architecture: 'standard', d_in: D_IN, d_sae: D_SAE, dtype: 'float32', apply_b_dec_to_input: false, normalize_activations: 'none', metadata: { hook_name: SAE_HOOK, model_name: 'gpt2-fixture' } };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
  return dir;
}

/** Opaque pixels on a chart's canvas: ECharts drew something. */
const paintedPixels = (chart: Locator) =>
  chart.locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });

/** Spearman's rho with average ranks for ties (the definition the engine reports). */
function spearman(x: number[], y: number[]): number {
  const ranks = (v: number[]) => {
    const order = v.map((_, i) => i).sort((a, b) => v[a]! - v[b]!);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && v[order[j + 1]!] === v[order[i]!]) j++;
      for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return r;
  };
  const [rx, ry] = [ranks(x), ranks(y)];
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const [mx, my] = [mean(rx), mean(ry)];
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  rx.forEach((_, i) => {
    sxy += (rx[i]! - mx) * (ry[i]! - my);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - my) ** 2;
  });
  return sxy / Math.sqrt(sxx * syy);
}

/** Records whether the busy bar ever appeared (a fast run may show it for a few frames only). */
const watchBusy = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { sawBusy: boolean };
    w.sawBusy = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid="busy"]') && document.querySelector('button[type=submit][disabled]')) w.sawBusy = true;
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
const sawBusy = (page: Page) => page.evaluate(() => (window as unknown as { sawBusy: boolean }).sawBusy);

test('rank neurons with verification, patch between prompts, and point at a bad metric token', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(url());
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  await page.getByLabel('Model folder').fill(GPT2);
  await page.getByRole('button', { name: 'Open folder…' }).click();
  await expect(page.locator(`tr[data-model-path="${GPT2}"]`)).toBeVisible();

  await page.getByRole('tab', { name: 'Import' }).click();
  const importForm = page.getByRole('form', { name: 'Import an SAE' });
  await importForm.getByLabel('SAE folder or params.npz').fill(writeSae());
  await importForm.getByLabel('Name').fill('attr-sae');
  await importForm.getByRole('button', { name: 'Import' }).click();
  await expect(importForm.locator('.ok-text')).toContainText(`32 → 48 at ${SAE_HOOK}`);

  await page.keyboard.press('Alt+6');
  await expect(page.getByRole('heading', { name: 'Attribution', level: 1 })).toBeVisible();
  const rank = page.getByRole('form', { name: 'Rank units' });
  const result = page.getByTestId('rank-result');

  await test.step('rank every MLP neuron for log p(" the"), verified by real patches (Ctrl+Enter runs)', async () => {
    await rank.getByLabel('Model').selectOption(GPT2);
    await rank.getByLabel('Prompt', { exact: true }).fill('The cat sat on');
    await rank.getByLabel('Token', { exact: true }).fill(' the');
    await rank.getByLabel('Top N', { exact: true }).fill('30');
    await expect(rank.getByLabel('Verify')).toBeChecked();
    await watchBusy(page);
    await rank.getByLabel('Prompt', { exact: true }).press('Control+Enter');
    await expect(result).toBeVisible({ timeout: 60_000 });
    expect(await sawBusy(page)).toBe(true);
    await expect(rank.getByRole('button', { name: 'Rank' })).toBeEnabled();

    const rows = result.getByTestId('unit-row');
    await expect(rows).toHaveCount(30);
    const units = await rows.evaluateAll((els) =>
      els.map((e) => ({ hook: e.children[1]!.textContent!, score: Number(e.getAttribute('data-score')), measured: e.getAttribute('data-measured') })),
    );
    expect(units.every((u) => /^blocks\.[01]\.mlp\.hook_post$/.test(u.hook))).toBe(true);
    const abs = units.map((u) => Math.abs(u.score));
    expect([...abs].sort((a, b) => b - a)).toEqual(abs);
    expect(units.every((u) => u.measured !== '' && Number.isFinite(Number(u.measured)))).toBe(true);

    // The figure shown is the rank correlation of the table's own columns, and attribution predicts well here.
    const shown = Number(await result.getByTestId('spearman').textContent());
    const fromTable = spearman(
      units.map((u) => u.score),
      units.map((u) => Number(u.measured)),
    );
    expect(shown).toBeCloseTo(fromTable, 2);
    expect(shown).toBeGreaterThan(0.5);
    await expect(result.getByTestId('pearson')).toHaveText(/^-?\d\.\d{3}$/);
    await expect(result.getByTestId('sign-agreement')).toHaveText(/^\d+%$/);
    expect(Number(await result.getByTestId('metric-clean').textContent())).toBeLessThan(0); // a log-probability
    await expect(result.getByTestId('cite-id')).toHaveText(/^exp-\d{6}$/);

    await expect(result.getByTestId('score-chart')).toHaveAttribute('data-scores', JSON.stringify(units.slice(0, 25).map((u) => u.score)));
    expect(await paintedPixels(result.getByTestId('score-chart'))).toBeGreaterThan(1000);
    await expect(result.getByTestId('verify-scatter')).toHaveAttribute('data-points', '30');
    expect(await paintedPixels(result.getByTestId('verify-scatter'))).toBeGreaterThan(1000);
    await viewShot(page, 'attribution-rank');
  });

  await test.step('the result survives a trip to the log, which lists its cite id', async () => {
    const cite = (await result.getByTestId('cite-id').textContent())!;
    await page.keyboard.press('Alt+5');
    await expect(page.locator(`tr[data-cite="${cite}"]`)).toBeVisible();
    await page.keyboard.press('Alt+6');
    await expect(result.getByTestId('cite-id')).toHaveText(cite);
  });

  await test.step('errors sit beside their field, with the engine’s words', async () => {
    // Text of several tokens is a continuation now; an id outside the vocabulary is refused.
    await rank.getByLabel('Token', { exact: true }).fill('#99999');
    await rank.getByRole('button', { name: 'Rank' }).click();
    const tokenError = rank.locator('[data-field="metric.token"] [role=alert]');
    await expect(tokenError).toContainText('metric.token: token id 99999 is outside');
    await expect(tokenError).toContainText("this model's vocabulary");
    await expect(result).toHaveCount(0); // a failed run removes the result it would have replaced (#18: no stale results)

    await rank.getByLabel('Token', { exact: true }).fill(' the');
    await rank.getByLabel('Patch prompt (optional)').fill('The dogs sat on');
    await rank.getByRole('button', { name: 'Rank' }).click();
    await expect(rank.locator('[data-field="patchPrompt"] [role=alert]')).toContainText('they must match position by position');
    await expect(tokenError).toHaveCount(0);
    await page.screenshot({ path: 'test-results/screenshots/attribution-error.png' });
  });

  await test.step('rank the features of an SAE: the table and chart name features', async () => {
    await rank.getByLabel('Patch prompt (optional)').fill('');
    await rank.getByLabel('Units').selectOption({ label: `SAE features · attr-sae · ${SAE_HOOK} · ${D_SAE}` });
    await expect(rank.getByLabel('Layers (blank = all)')).toHaveCount(0);
    await rank.getByLabel('Top N', { exact: true }).fill('12');
    await rank.getByRole('button', { name: 'Rank' }).click();
    await expect(result.getByRole('columnheader', { name: 'Feature' })).toBeVisible();
    const rows = result.getByTestId('unit-row');
    await expect(rows).toHaveCount(12);
    const cells = await rows.evaluateAll((els) => els.map((e) => [e.children[1]!.textContent!, Number(e.children[2]!.textContent)] as const));
    expect(cells.every(([hook, idx]) => hook === 'blocks.1.hook_resid_post' && idx >= 0 && idx < 48)).toBe(true);
    await expect(result.getByTestId('verify-scatter')).toHaveAttribute('data-points', '12');
    await expect(result.getByTestId('spearman')).toHaveText(/^-?\d\.\d{3}$/);
    await viewShot(page, 'attribution-sae');
  });

  await test.step('patch the layer-1 neuron deltas of one prompt into another and see the target move', async () => {
    await page.getByRole('tab', { name: 'Patch between prompts' }).click();
    const patch = page.getByRole('form', { name: 'Patch between prompts' });
    await patch.getByLabel('Model').selectOption(GPT2);
    await patch.getByLabel('Source prompt (activations copied from)').fill('hello world');
    await patch.getByLabel('Target prompt (patched)').fill('the cat');
    await patch.getByLabel('Layers (blank = all)').fill('1');
    await patch.getByLabel('Top N').fill('128');
    await patch.getByRole('button', { name: 'Patch' }).click();
    const out = page.getByTestId('patch-result');
    await expect(out).toBeVisible({ timeout: 60_000 });

    expect(Number(await out.getByTestId('kl-after-before').textContent())).toBeGreaterThan(0);
    // Moving every layer-1 neuron toward the source closes the gap to the source's distribution.
    expect(Number(await out.getByTestId('kl-source-after').textContent())).toBeLessThan(Number(await out.getByTestId('kl-source-before').textContent()));
    const chart = out.getByTestId('patch-chart');
    const before = JSON.parse((await chart.getAttribute('data-before'))!) as Array<number | null>;
    const after = JSON.parse((await chart.getAttribute('data-after'))!) as Array<number | null>;
    expect(before.length).toBeGreaterThan(0);
    expect(before.some((b, i) => b !== null && after[i] !== null && Math.abs(b - after[i]!) > 1e-3)).toBe(true);
    expect(await paintedPixels(chart)).toBeGreaterThan(1000);
    await expect(out.getByTestId('patched-unit')).toHaveCount(50);
    await expect(out.getByText('…and 78 more with smaller deltas.')).toBeVisible();
    await viewShot(page, 'attribution-patch');
  });
});
