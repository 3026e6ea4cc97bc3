// The task suite through the real engine process: tasks.list, and tasks.evaluate on the bundled
// model checked against an independent reference (the plain-PyTorch GPT-2 forward and torch's
// log_softmax, scripts/reference/task_scores_reference.py), clean and under an ablation; a user's
// bad task file refused by line; a browser confined to its corpus folders.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTorch, TORCH_PYTHON as TORCH } from '../torch-peer';
import { ModelTokenizer } from '../../src/engine/model/tokenizer';
import { readTaskFile, tokenizeTask, type TokenizedExample } from '../../src/engine/tasks/task-file';
import type { Host } from '../../src/host/host';
import { runJob } from '../../src/host/run-job';
import { callOrThrow } from '../../src/shared/call';
import type { Intervention } from '../../src/shared/contract';
import { startTestHost } from './helpers';

const ROOT = resolve(__dirname, '../..');
const TINY = join(ROOT, 'resources/models/featurescope-tiny');

/** Mean two-way loss and accuracy of the torch reference over the examples (optionally with units of one hook zeroed). */
function reference(examples: TokenizedExample[], zero?: string): { loss: number; accuracy: number } {
  const file = join(mkdtempSync(join(tmpdir(), 'fs-task-ref-')), 'examples.json');
  writeFileSync(file, JSON.stringify(examples));
  const out = JSON.parse(execFileSync(TORCH, [join(ROOT, 'scripts/reference/task_scores_reference.py'), TINY, file, ...(zero ? [zero] : [])], { encoding: 'utf8' })) as Array<{ margin: number; loss: number }>;
  return { loss: out.reduce((s, e) => s + e.loss, 0) / out.length, accuracy: out.filter((e) => e.margin > 0).length / out.length };
}

describe('tasks through the engine', () => {
  let host: Host;
  let dispose: () => Promise<void>;
  const tokenizer = ModelTokenizer.fromFiles(join(TINY, 'tokenizer.json'), join(TINY, 'tokenizer_config.json'));
  const examplesOf = (name: string) => {
    const t = tokenizeTask(readTaskFile(join(ROOT, 'resources/tasks', `${name}.jsonl`)), tokenizer);
    return { prompts: t.prompts, all: [...t.prompts, ...t.paired] };
  };

  beforeAll(async () => {
    ({ host, dispose } = await startTestHost());
  });
  afterAll(() => dispose());

  it('lists the built-in tasks with their versions', async () => {
    const tasks = await callOrThrow(host, 'tasks.list', {});
    expect(tasks.map((t) => t.name)).toEqual(expect.arrayContaining(['quote-type', 'bracket-depth', 'indent-after-colon', 'append-or-add', 'pronoun-agreement', 'verb-number']));
    expect(tasks.every((t) => t.version >= 1 && t.rows === 64)).toBe(true);
  });

  it.skipIf(!hasTorch)('scores the bundled model as the torch reference does, clean and under an ablation', async () => {
    const progress: string[] = [];
    const clean = await runJob(host, 'tasks.evaluate', { model: TINY, tasks: ['quote-type', 'verb-number'] }, (p) => p.message && progress.push(p.message));
    expect(clean.scores.map((s) => s.task.name)).toEqual(['quote-type', 'verb-number']);
    expect(progress.some((m) => m.startsWith('task 2 / 2: verb-number'))).toBe(true);
    for (const s of clean.scores) {
      const { all, prompts } = examplesOf(s.task.name);
      expect(s.examples).toBe(128);
      const ref = reference(all);
      expect(s.loss).toBeCloseTo(ref.loss, 4);
      expect(s.accuracy).toBe(ref.accuracy);
      expect(s.prompts.accuracy).toBe(reference(prompts).accuracy);
      // The prompts' and the pairs' halves average to the whole.
      expect((s.prompts.loss + s.paired.loss) / 2).toBeCloseTo(s.loss, 10);
    }

    // Zeroing half the MLP neurons of layer 1 moves the scores, exactly as in the reference.
    const units = Array.from({ length: 256 }, (_, i) => 2 * i);
    const interventions: Intervention[] = [{ hook: 'blocks.1.mlp.hook_post', kind: 'ablate-zero', target: { neurons: units } }];
    const ablated = await runJob(host, 'tasks.evaluate', { model: TINY, tasks: ['quote-type'], interventions });
    const ref = reference(examplesOf('quote-type').all, `blocks.1.mlp.hook_post:${units.join(',')}`);
    expect(Math.abs(ablated.scores[0]!.loss - clean.scores[0]!.loss)).toBeGreaterThan(1e-3);
    expect(ablated.scores[0]!.loss).toBeCloseTo(ref.loss, 4);
  }, 120_000);

  it('refuses a user task file by its line, before any forward, and confines a browser to its corpus folders', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'fs-user-task-')));
    const bad = join(dir, 'mine.jsonl');
    writeFileSync(bad, [JSON.stringify({ task: 'mine', version: 1 }), JSON.stringify({ prompt: "x = 'a", target: "'", alternative: '"', pairedPrompt: 'x = "a' }), JSON.stringify({ prompt: 'The cat', target: ' elephantine', alternative: ' dog', pairedPrompt: 'The cats' })].join('\n'));
    await expect(runJob(host, 'tasks.evaluate', { model: TINY, tasks: [bad] })).rejects.toMatchObject({ code: 'bad_file', field: 'tasks', message: expect.stringMatching(/mine\.jsonl:3: target " elephantine" after the prompt is \d+ tokens there/) });
    await expect(runJob(host, 'tasks.evaluate', { model: TINY, tasks: ['no-such-task'] })).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('quote-type') });

    const browser: Host = { ...host, call: (c, i) => host.call(c, i, 'browser'), callUntrusted: (c, i) => host.callUntrusted(c, i, 'browser') };
    await expect(runJob(browser, 'tasks.evaluate', { model: TINY, tasks: [bad] })).rejects.toMatchObject({ field: 'tasks', message: expect.stringContaining('is not inside a corpus folder') });
    // Built-in tasks need no folder.
    const builtIn = await runJob(browser, 'tasks.evaluate', { model: TINY, tasks: ['brace-type'] });
    expect(builtIn.scores[0]!.examples).toBe(128);
  }, 120_000);
});
