// The audit report opens in Chromium from a file:// URL: its charts are SVG that renders, it
// loads nothing from anywhere, and every finding carries a link to its experiment id.
// The report comes from a real audit (the planted-gender model's SAE, built engine) run in this spec.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from '@playwright/test';
import { runJob } from '../../src/host/run-job';
import { startTestHost } from '../integration/helpers';
import { GENDER_FEATURE, GENDER_PAIRS, outcomeTokens, writeGenderModel, writeGenderSae } from '../unit/audit/planted-gender';

test('audit report renders its charts and links every finding to its experiment', async ({ page }) => {
  const t = await startTestHost();
  const modelDir = writeGenderModel();
  const saeDir = writeGenderSae(true);
  const work = mkdtempSync(join(tmpdir(), 'featurescope-audit-e2e-'));
  try {
    const setPath = join(work, 'animals.json');
    const { nurse, engineer } = outcomeTokens();
    writeFileSync(setPath, JSON.stringify({ id: 'animals', title: 'cat vs dog', sideA: 'cat', sideB: 'dog', attribute: 'gender', outcome: { tokenA: nurse, tokenB: engineer }, pairs: GENDER_PAIRS }));
    const imported = await t.host.call('sae.import', { path: saeDir, name: 'planted-gender-sae' });
    if (!imported.ok) throw new Error(imported.error.message);
    const outPath = join(work, 'report.html');
    const r = await runJob(t.host, 'audit.run', { model: modelDir, sae: (imported.value as { saeId: number }).saeId, contrastSet: setPath, topN: 5, outPath });
    expect(r.findings.length).toBeGreaterThan(0);

    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(outPath).href);
    await expect(page.locator('h1')).toContainText('Bias audit');

    // The effect-size chart: one bar per finding, drawn with a real size.
    const effects = page.locator('svg.effects');
    await expect(effects).toBeVisible();
    await expect(effects.locator('rect.bar')).toHaveCount(r.findings.length);
    const box = await effects.locator('rect.bar').first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(1);

    // Each finding: its section anchored at its exp-id, an exp-id link, a distribution chart with both sides' points.
    const sections = page.locator('section.finding');
    await expect(sections).toHaveCount(r.findings.length);
    for (const f of r.findings) {
      const section = page.locator(`section[id="${f.citeId}"]`);
      await expect(section.locator(`a.exp-link[data-exp-id="${f.citeId}"]`)).toHaveAttribute('href', `#${f.citeId}`);
      const dist = section.locator('svg.dist');
      await expect(dist).toBeVisible();
      await expect(dist.locator('circle')).toHaveCount(2 * r.comparedPairs);
    }
    await expect(sections.first().locator('h3')).toContainText(`feature ${GENDER_FEATURE}`);
    await expect(sections.first().locator('h3')).toContainText('tagged bias');
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
  } finally {
    await t.dispose();
    rmSync(modelDir, { recursive: true, force: true });
    rmSync(saeDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
});
