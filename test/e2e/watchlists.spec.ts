// Watchlists end to end in Chromium against serve mode: create a watchlist (a default threshold
// from the analysed max, one given), scan pasted prompts through the real engine, and see exactly
// the prompts where the watched feature exceeds its threshold flagged, heat-highlighted.
//
// The SAE reads `hook_embed` of the GPT-2 fixture, where the residual is the token's embedding,
// so the expected flags are computed here independently: feature 5's encoder column is the
// " dog" embedding scaled to give exactly 1 on it, and every token's value is a dot product.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { beginAnalysis, commitAnalysis, insertSae, openCatalog, writeFeatures } from '../../src/catalog';
import { SafetensorsFile, writeSafetensors } from '../../src/engine/formats/safetensors';
import { ModelTokenizer } from '../../src/engine/model/tokenizer';

const FIXTURE = resolve(__dirname, '../fixtures/models/gpt2');
const HOOK = 'hook_embed';
const D_IN = 32;
const D_SAE = 16;
const DOG_FEATURE = 5;
const url = () => process.env.FEATURESCOPE_URL!;
const catalogPath = () => join(process.env.FEATURESCOPE_E2E_HOME!, 'workspaces', 'default', 'catalog.sqlite');
const shot = (name: string) => ({ path: `test-results/screenshots/${name}.png`, fullPage: true });

const PROMPTS = ['the cat sat on the mat', 'a dog ran under the tree', 'the river and the stone', 'my dog and your dog', 'green light far away', 'the dog sat'];

let work = '';
let saeId = 0;
let wte: Float32Array;
let column: Float64Array;
let tokenizer: ModelTokenizer;

/** Feature 5's value on a token, in float64: relu(wte[t] · column). */
const dogValue = (id: number): number => {
  let s = 0;
  for (let j = 0; j < D_IN; j++) s += wte[id * D_IN + j]! * column[j]!;
  return Math.max(0, s);
};

test.beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'featurescope-watch-e2e-'));
  wte = SafetensorsFile.open(join(FIXTURE, 'model.safetensors')).readFloat32('transformer.wte.weight');
  tokenizer = ModelTokenizer.fromFiles(join(FIXTURE, 'tokenizer.json'), join(FIXTURE, 'tokenizer_config.json'));
  const dog = tokenizer.encode(' dog', { addSpecialTokens: false }).at(-1)!;
  const e = Array.from({ length: D_IN }, (_, j) => wte[dog * D_IN + j]!);
  const norm2 = e.reduce((s, v) => s + v * v, 0);
  column = Float64Array.from(e, (v) => v / norm2);
  // A SAELens folder: every other column pseudo-random, small.
  const wEnc = new Float32Array(D_IN * D_SAE);
  for (let j = 0; j < D_IN; j++) for (let f = 0; f < D_SAE; f++) wEnc[j * D_SAE + f] = f === DOG_FEATURE ? column[j]! : Math.sin(7 * j + 13 * f) * 0.05;
  const saeDir = join(work, 'sae');
  mkdirSync(saeDir, { recursive: true });
  writeSafetensors(join(saeDir, 'sae_weights.safetensors'), [
    { name: 'W_enc', dtype: 'F32', shape: [D_IN, D_SAE], data: wEnc },
    { name: 'W_dec', dtype: 'F32', shape: [D_SAE, D_IN], data: new Float32Array(D_SAE * D_IN).fill(0.01) },
    { name: 'b_enc', dtype: 'F32', shape: [D_SAE], data: new Float32Array(D_SAE) },
    { name: 'b_dec', dtype: 'F32', shape: [D_IN], data: new Float32Array(D_IN) },
  ]);
  writeFileSync(
    join(saeDir, 'cfg.json'),
    JSON.stringify({ architecture: 'standard', d_in: D_IN, d_sae: D_SAE, dtype: 'float32', device: 'cpu', apply_b_dec_to_input: false, normalize_activations: 'none', reshape_activations: 'none', metadata: { hook_name: HOOK, model_name: FIXTURE } }),
  );
  // In the catalog with an analysis of the dog feature (its real max: 1 on " dog"), so the default threshold is ½.
  const catalog = openCatalog(catalogPath());
  try {
    saeId = insertSae(catalog, {
      name: 'e2e-watch-sae',
      modelId: null,
      hookName: HOOK,
      architecture: 'standard',
      dIn: D_IN,
      dSae: D_SAE,
      cfg: {},
      metrics: {},
      provenance: { model: FIXTURE, hook: HOOK, corpus: null, seed: null, appVersion: '0.1.0', createdAt: 1_700_000_000_000 },
      weightsPath: saeDir,
    });
    const analysis = beginAnalysis(catalog, { saeId, corpusId: null });
    const example = (rank: number) => ({ kind: 'top' as const, bucket: 0, rank, tokens: ['the', ' ', 'dog', ' sat'], values: [0, 0, 1, 0], doc: rank, start: 0 });
    writeFeatures(catalog, analysis, [{ idx: DOG_FEATURE, density: 0.02, maxAct: 1, meanAct: 1, histogram: null, examples: [example(0), example(1)], logitEffects: null }]);
    commitAnalysis(catalog, analysis);
  } finally {
    catalog.close();
  }
});
test.afterAll(() => rmSync(work, { recursive: true, force: true }));

async function openWatchlists(page: Page) {
  await page.goto(url());
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  await page.keyboard.press('Alt+8');
  await expect(page.getByRole('heading', { name: 'Watchlists', level: 1 })).toBeVisible();
  await page.getByLabel('Watchlist SAE').selectOption(String(saeId));
}

test('create a watchlist, scan pasted prompts, see exactly the flagged contexts — offline', async ({ page }) => {
  const origin = new URL(url()).origin;
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (ws) => requests.push(ws.url()));
  // Replies to watchlist.list: the view re-reads the lists after every catalog write.
  const listCalls = new Set<number>();
  let listReplies = 0;
  page.on('websocket', (ws) => {
    const frame = (payload: string | Buffer): { id?: number; command?: string } => {
      try {
        return JSON.parse(String(payload)) as { id?: number; command?: string };
      } catch {
        return {};
      }
    };
    ws.on('framesent', (f) => {
      const m = frame(f.payload);
      if (m.command === 'watchlist.list' && m.id !== undefined) listCalls.add(m.id);
    });
    ws.on('framereceived', (f) => {
      const m = frame(f.payload);
      if (m.id !== undefined && listCalls.has(m.id)) listReplies++;
    });
  });

  // Expected, computed here: prompts with a token over ½ (thresholds sit far from any token's value).
  const values = PROMPTS.map((p) => tokenizer.encode(p).map(dogValue));
  for (const v of values.flat()) expect(Math.abs(v - 0.5)).toBeGreaterThan(1e-3);
  const flaggedPrompts = values.map((v, i) => (v.some((x) => x > 0.5) ? i : -1)).filter((i) => i >= 0);
  expect(flaggedPrompts).toEqual([1, 3, 5]);

  await openWatchlists(page);
  const editor = page.getByRole('form', { name: 'Edit watchlist' });
  await page.getByRole('button', { name: 'New' }).click();
  await editor.getByLabel('Name').fill('dogs');
  await editor.getByLabel('Note').fill('anything about dogs');
  // A feature the SAE does not have is refused beside the field.
  await editor.getByLabel('Feature index').fill('16');
  await editor.getByRole('button', { name: 'Add feature' }).click();
  await expect(editor.getByRole('alert')).toContainText('0 to 15');
  await editor.getByLabel('Feature index').fill(String(DOG_FEATURE));
  await editor.getByLabel('Feature index').press('Enter');
  await expect(editor.locator(`tr[data-idx="${DOG_FEATURE}"]`)).toContainText('dog');
  await editor.getByLabel('Feature index').fill('3');
  await editor.getByLabel('Threshold (blank: ½ analysed max)').fill('1000000');
  await editor.getByRole('button', { name: 'Add feature' }).click();
  await expect(editor.locator('tr[data-idx="3"]')).toContainText('no analysis');
  await editor.getByRole('button', { name: 'Save watchlist' }).click();
  const listed = page.getByRole('listbox', { name: 'Watchlist list' }).locator('li[data-name="dogs"]');
  await expect(listed).toHaveAttribute('aria-selected', 'true');
  await expect(listed).toContainText('2 of this SAE');
  // The default threshold came back from the engine: ½ of the analysed max.
  await expect(editor.getByLabel(`Threshold of feature ${DOG_FEATURE}`)).toHaveValue('0.5');
  await page.screenshot(shot('watchlists-editor'));

  // An unsaved edit in the editor outlives catalog writes elsewhere (the scan below logs an experiment).
  await editor.getByLabel('Note').fill('anything about dogs, unsaved');

  const scan = page.getByRole('form', { name: 'Scan' });
  // A max-tokens typed for a corpus scan does not cut a prompt scan short: its field is hidden there.
  await scan.getByRole('tab', { name: 'Corpus file or folder' }).click();
  await scan.getByLabel('Max tokens (blank: all)').fill('3');
  await scan.getByRole('tab', { name: 'Pasted prompts' }).click();
  await scan.getByLabel('Prompts, one per line (each is scanned alone)').fill(PROMPTS.join('\n'));
  const repliesBefore = listReplies;
  await scan.getByRole('button', { name: 'Run scan' }).click();
  await expect(page.getByRole('region', { name: 'Run a scan' }).locator('.job-line')).toHaveAttribute('data-state', 'finished', { timeout: 60_000 });
  await expect(page.getByRole('region', { name: 'Scan results' }).getByTestId('scan-cite-id')).toHaveText(/^exp-\d{6,}$/);
  // The lists were read again after the scan's log write, and rendered: the edit is still there.
  await expect.poll(() => listReplies).toBeGreaterThan(repliesBefore);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
  await expect(editor.getByLabel('Note')).toHaveValue('anything about dogs, unsaved');

  const results = page.getByRole('region', { name: 'Scan results' });
  await expect(results.getByTestId('scan-cite-id')).toHaveText(/^exp-\d{6,}$/);
  await expect(results.getByTestId('scan-report-path')).toContainText('/scans/scan-exp-');
  const dog = results.locator(`section[data-idx="${DOG_FEATURE}"]`);
  await expect(dog).toHaveAttribute('data-flagged', String(flaggedPrompts.length));
  const lines = dog.locator('.fp-example');
  await expect(lines).toHaveCount(flaggedPrompts.length);
  // Every kept context peaks on "dog", hot; its prompt is one of the expected ones.
  for (let i = 0; i < flaggedPrompts.length; i++) {
    const peak = lines.nth(i).locator('.tok.peak');
    await expect(peak).toHaveText('dog');
    expect(await peak.evaluate((el) => getComputedStyle(el).backgroundColor)).toMatch(/^rgba\(245, 140, 60, 0\.[5-9]/);
  }
  const where = (await dog.locator('.watch-where').textContent()) ?? '';
  expect([...where.matchAll(/doc (\d+)/g)].map((m) => Number(m[1])).sort()).toEqual(flaggedPrompts);
  await expect(results.locator('section[data-idx="3"]')).toHaveAttribute('data-flagged', '0');
  await expect(results.locator('section[data-idx="3"]')).toContainText('No context exceeded the threshold.');
  // The counts chart is drawn.
  const painted = await results.getByLabel('flagged contexts chart').locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });
  expect(painted).toBeGreaterThan(500);
  await page.screenshot(shot('watchlists-scan'));
  await results.screenshot({ path: 'test-results/screenshots/watchlists-scan-results.png' });

  // The scan is in the experiment log: "Open in log" selects it there…
  const cite = (await results.getByTestId('scan-cite-id').textContent())!;
  await results.getByRole('button', { name: 'Open in log' }).click();
  await expect(page.getByRole('heading', { name: 'Experiment log', level: 1 })).toBeVisible();
  const row = page.getByRole('table', { name: 'Experiment log' }).locator(`tbody tr[data-cite="${cite}"]`);
  await expect(row).toHaveClass(/selected/);
  // …and replays: its strongest flagged context, run again, peaks as logged.
  await page.getByRole('button', { name: 'Replay' }).click();
  await expect(page.getByTestId('replay-verdict')).toHaveText('matches');

  // A flagged feature opens its feature page; from there, into the playground with it as probe and slider.
  await page.keyboard.press('Alt+8');
  await results.locator(`section[data-idx="${DOG_FEATURE}"]`).getByTestId('feature-link').click();
  const featurePage = page.getByTestId('feature-page');
  await expect(featurePage).toHaveAttribute('data-idx', String(DOG_FEATURE));
  await expect(featurePage.getByRole('button', { name: 'Watched' })).toBeDisabled(); // already on "dogs"
  await featurePage.getByLabel('Watchlist', { exact: true }).selectOption({ label: 'new watchlist…' });
  // A new list under a taken name (any case) is refused, and the list of that name keeps its entries.
  await featurePage.getByLabel('New watchlist name').fill('DOGS');
  await featurePage.getByRole('button', { name: 'Watch' }).click();
  await expect(featurePage.getByRole('alert')).toContainText('already a watchlist called "dogs" (#');
  await expect(featurePage.getByRole('alert')).toContainText('2 features');
  await page.screenshot(shot('watchlists-name-taken'));
  await featurePage.getByLabel('New watchlist name').fill('dogs-2');
  await featurePage.getByRole('button', { name: 'Watch' }).click();
  await expect(featurePage.getByText('on dogs-2')).toBeVisible();
  await expect(featurePage.getByLabel('Watchlist', { exact: true })).toContainText('dogs-2');
  await featurePage.getByRole('button', { name: 'Try in playground' }).click();
  await expect(page.getByRole('heading', { name: 'Playground', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Probe kind')).toHaveValue('feature');
  await expect(page.getByLabel('Probe index')).toHaveValue(String(DOG_FEATURE));
  await expect(page.getByLabel(`Steering strength of feature ${DOG_FEATURE}`)).toBeVisible();

  expect(requests.length).toBeGreaterThan(0);
  for (const r of requests) expect(new URL(r).host, r).toBe(new URL(origin).host);
});
