import { expect, test, type Page } from '@playwright/test';

const url = () => process.env.FEATURESCOPE_URL!;
const shot = (name: string) => ({ path: `test-results/screenshots/${name}.png`, fullPage: true });
/** The app opens on Home; the System view is the last entry of the sidebar. */
const openSystem = (page: Page) => page.getByRole('button', { name: /^System/ }).click();

test('the app opens from the tokened URL and drops the token from the address bar', async ({ page }) => {
  await page.goto(url());
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  // Here the engine must land on wasm (no native tfjs on this machine), never silently on cpu.
  await expect(page.getByTestId('status-backend')).toContainText('wasm');
  await openSystem(page);
  await expect(page.getByTestId('engine-backend')).toContainText(/wasm \(wasm\) · \d+ threads? · SIMD on/);
  await page.screenshot(shot('system'));
});

test('a job shows progress, a live chart and its result; a bad field is pointed at', async ({ page }) => {
  await page.goto(url());
  await openSystem(page);
  await page.getByLabel('Size').fill('9999');
  await page.getByRole('button', { name: 'Measure' }).click();
  await expect(page.getByRole('alert')).toContainText('size');
  await expect(page.getByLabel('Size')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Size').fill('256');
  await page.getByLabel('Seconds').fill('2');
  await page.getByRole('button', { name: 'Measure' }).click();
  // The result shows in System (system.spec.ts); the Jobs view lists the job too.
  await page.getByRole('button', { name: 'Open in Jobs' }).click();
  await expect(page.getByRole('heading', { name: 'Jobs', level: 1 })).toBeVisible();
  const row = page.locator('tr[data-job-id]').first();
  await expect(row).toHaveAttribute('data-state', 'running');
  await expect(row.getByRole('progressbar')).toBeVisible();
  await expect(page.locator('[data-metric="gflops"]')).toBeVisible();
  await page.screenshot(shot('jobs-running'));
  await expect(row).toHaveAttribute('data-state', 'finished', { timeout: 30_000 });
  const gflops = Number(await page.locator('[data-result-key="gflops"]').textContent());
  expect(gflops).toBeGreaterThan(0.1);
  await expect(page.locator('[data-result-key="backend"]')).toHaveText('wasm');
  await page.screenshot(shot('jobs-finished'));
});

test('cancel stops a running job', async ({ page }) => {
  await page.goto(url());
  await openSystem(page);
  await page.getByLabel('Seconds').fill('120');
  await page.getByRole('button', { name: 'Measure' }).click();
  await page.getByRole('button', { name: 'Open in Jobs' }).click();
  const row = page.locator('tr[data-job-id]').first();
  await expect(row).toHaveAttribute('data-state', 'running');
  await row.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toHaveAttribute('data-state', 'cancelled');
  await expect(page.getByTestId('status-jobs')).toHaveText('no active jobs');
});

test('keyboard: Alt+1 and Alt+2 switch views', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByRole('heading', { name: 'Home', level: 1 })).toBeVisible();
  await page.keyboard.press('Alt+2');
  await expect(page.getByRole('heading', { name: 'Jobs', level: 1 })).toBeVisible();
  await page.keyboard.press('Alt+1');
  await expect(page.getByRole('heading', { name: 'Home', level: 1 })).toBeVisible();
});
