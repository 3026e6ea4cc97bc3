// Issue #18, "metrics on any tokenizer": the real CLI (node bin/featurescope.js, the built engine)
// on the SentencePiece-style llama-sp-tiny fixture, whose " his" and " her" are two tokens each.
// `attribute --verify` ranks and verifies a two-token contrast, its metric the PyTorch reference's
// (cases.json); `--target-id 401` is the token 401, where `--target 401` is the text "401"; the
// logged run replays; the built-in gendered audit runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtDir } from './helpers';

const BIN = resolve(__dirname, '../../bin/featurescope.js');
const MODEL = resolve(__dirname, '../fixtures/models/llama-sp-tiny');
const cases = JSON.parse(readFileSync(join(MODEL, 'cases.json'), 'utf8')) as { metric: Array<{ prompt: string; text: string; sum: number }> };

let home: string;
beforeAll(() => {
  if (!existsSync(join(builtDir, 'cli.js'))) throw new Error('Build first: npx electron-vite build (these tests run the built CLI).');
  home = mkdtempSync(join(tmpdir(), 'featurescope-multi-token-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, FEATURESCOPE_HOME: home }, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = <T>(args: string[]): T => {
  const r = cli([...args, '--json']);
  expect(r.stderr.split('\n').filter((l) => l.startsWith('featurescope:'))).toEqual([]);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as T;
};

type Attribution = { experiment: { citeId: string }; metricClean: number; units: Array<{ score: number; measured: number | null }>; verification: { spearman: number; signAgreement: number } | null };

describe('metrics over several tokens through the CLI', () => {
  const his = cases.metric.find((c) => c.text === ' his')!;
  const her = cases.metric.find((c) => c.text === ' her' && c.prompt === his.prompt)!;

  it('attribute --verify ranks and verifies log p(" his") − log p(" her"), two tokens each, and the logged run replays', () => {
    const r = json<Attribution>(['attribute', '--model', MODEL, '--prompt', his.prompt, '--target', ' his', '--versus', ' her', '--layers', '0', '--top', '20', '--verify']);
    expect(r.metricClean).toBeCloseTo(his.sum - her.sum, 3);
    expect(r.units).toHaveLength(20);
    expect(r.units.every((u) => u.measured !== null)).toBe(true);
    expect(r.verification!.spearman).toBeGreaterThan(0.6);
    const replay = cli(['attribute', '--replay', r.experiment.citeId]);
    expect(replay.stdout).toContain('matches the log');
    expect(replay.status).toBe(0);
  });

  it('--target-id 401 is token 401 (as id:401 is), --target 401 the text "401"; both flags at once are refused', () => {
    const base = ['attribute', '--model', MODEL, '--prompt', his.prompt, '--layers', '0', '--top', '3'];
    const byId = json<Attribution>([...base, '--target-id', '401']);
    const byIdText = json<Attribution>([...base, '--target', 'id:401']);
    const asText = json<Attribution>([...base, '--target', '401']);
    expect(byIdText.metricClean).toBe(byId.metricClean);
    expect(asText.metricClean).not.toBeCloseTo(byId.metricClean, 3);
    const two = json<Attribution>([...base, '--target-id', '401,402']);
    expect(two.metricClean).toBeLessThan(byId.metricClean); // log p(401) + log p(402 | 401) < log p(401)
    const both = cli([...base, '--target', ' his', '--target-id', '401']);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toContain('Give --target or --target-id, not both.');
    const outside = cli([...base, '--target-id', '512']);
    expect(outside.status).not.toBe(0);
    expect(outside.stderr).toContain("metric.token: token id 512 is outside this model's vocabulary [0, 512).");
  });

  it('the built-in gendered audit runs on it, with attribution of its two-token metric', () => {
    const r = json<{ pairs: number; unitsTested: number; findings: Array<{ attribution: number | null }> }>(['audit', '--model', MODEL, '--contrast-set', 'gendered', '--layers', '0', '--top', '5']);
    expect(r.pairs).toBe(76); // the pairs of gendered.json v2
    expect(r.unitsTested).toBe(64);
    expect(r.findings.length).toBeGreaterThan(0);
    expect(r.findings.every((f) => f.attribution !== null && Number.isFinite(f.attribution))).toBe(true);
    expect(r.findings.some((f) => f.attribution !== 0)).toBe(true);
  });
});
