// Issue #18, finding 10: System's Measure shows its result in System (it used to jump to Jobs and
// never show it), the mode says "browser" in a browser (it said "cli"), and the figure is the
// backend's (the handler's tidy walk made it 1.5 GFLOP/s where bench:matmul measured 20–50).
import { expect, test } from '@playwright/test';

const url = () => process.env.FEATURESCOPE_URL!;

test('Measure runs in place and shows its GFLOP/s; the mode says browser', async ({ page }) => {
  await page.goto(url());
  await page.getByRole('button', { name: /^System/ }).click();
  await expect(page.getByTestId('app-mode')).toContainText('browser, served by featurescope serve');
  await expect(page.getByTestId('app-mode')).not.toContainText('cli');

  await page.getByLabel('Size').fill('256');
  await page.getByLabel('Seconds').fill('1');
  await page.getByRole('button', { name: 'Measure' }).click();
  const bench = page.getByTestId('benchmark');
  await expect(bench).toHaveAttribute('data-state', /running|finished/);
  await expect(page.getByRole('heading', { name: 'System', level: 1 })).toBeVisible();
  await expect(bench).toHaveAttribute('data-state', 'finished', { timeout: 30_000 });
  const gflops = Number(await page.getByTestId('benchmark-gflops').textContent());
  expect(gflops).toBeGreaterThan(0);
  await expect(bench).toContainText(/GFLOP\/s · fp32 256×256 matmul on wasm · \d+ runs in 1\.\d s/);
  await expect(page.getByRole('button', { name: 'Measure' })).toBeEnabled();

  for (const [w, h] of [[1440, 900], [1280, 800]] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: `test-results/screenshots/system-${w}x${h}.png`, fullPage: true });
  }
  // The Jobs view lists the same job.
  await bench.getByRole('button', { name: 'Open in Jobs' }).click();
  await expect(page.locator('tr[data-job-id]').first()).toHaveAttribute('data-state', 'finished');
});
