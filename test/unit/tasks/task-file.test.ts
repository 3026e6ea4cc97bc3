// Task files: what is refused (named by file, line and rule), and that the built-in suite is what
// its seeded generator writes and passes the app's own check on the bundled tokenizers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from '../../../src/engine/model/tokenizer';
import { readTaskFile, tokenizeTask } from '../../../src/engine/tasks/task-file';
import { errorOf } from '../error-of';

const ROOT = resolve(__dirname, '../../..');
const TINY = join(ROOT, 'resources/models/featurescope-tiny');
const tiny = ModelTokenizer.fromFiles(join(TINY, 'tokenizer.json'), join(TINY, 'tokenizer_config.json'));
const dir = mkdtempSync(join(tmpdir(), 'fs-tasks-'));
const HEADER = JSON.stringify({ task: 'mine', version: 2, title: 'My task', domain: 'code' });
const ROW = { prompt: "x = 'abc", target: "'", alternative: '"', pairedPrompt: 'x = "abc' };

function file(lines: Array<string | object>): string {
  const path = join(dir, `t${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return path;
}

describe('task files', () => {
  it('reads a header and rows, and gives each prompt and its pair the answers swapped', () => {
    const path = file([HEADER, ROW, '', { ...ROW, prompt: "y = 'def", pairedPrompt: 'y = "def' }]);
    const t = readTaskFile(path);
    expect(t.info).toEqual({ name: 'mine', version: 2, title: 'My task', domain: 'code', rows: 2, path });
    expect(t.rows.map((r) => r.line)).toEqual([2, 4]);
    const { prompts, paired } = tokenizeTask(t, tiny);
    const q = tiny.encode("'", { addSpecialTokens: false })[0]!;
    const dq = tiny.encode('"', { addSpecialTokens: false })[0]!;
    expect(prompts[0]).toEqual({ tokens: tiny.encode("x = 'abc"), target: q, alternative: dq });
    expect(paired[0]).toMatchObject({ target: dq, alternative: q });
  });

  it('refuses a missing field, an unknown field, a bad header and an empty file, naming the line and the rule', () => {
    const missing = errorOf(() => readTaskFile(file([HEADER, ROW, { prompt: 'a', target: 'b', alternative: 'c' }])));
    expect(missing.message).toMatch(/:3: a row is .*the field "pairedPrompt" is missing/);
    expect(missing.field).toBe('tasks');
    expect(errorOf(() => readTaskFile(file([HEADER, { ...ROW, weight: 2 }]))).message).toMatch(/:2: .*unknown field "weight"/);
    expect(errorOf(() => readTaskFile(file([{ version: 1 }, ROW]))).message).toMatch(/:1: the first line is the task's header .*"task" is missing/);
    expect(errorOf(() => readTaskFile(file([HEADER, '{"prompt": "x', ROW]))).message).toMatch(/:2: not a JSON object on one line/);
    expect(errorOf(() => readTaskFile(file([HEADER, { ...ROW, alternative: "'" }]))).message).toMatch(/:2: .*target and alternative must differ/);
    expect(errorOf(() => readTaskFile(file([HEADER]))).message).toMatch(/has no rows/);
    expect(errorOf(() => readTaskFile(file(['']))).message).toMatch(/empty/);
    expect(errorOf(() => readTaskFile(join(dir, 'nope.jsonl'))).code).toBe('not_found');
  });

  it('refuses a multi-token answer and one that merges with the prompt, for this model, naming the line', () => {
    // " elephantine" is several tokens of the bundled 2k vocabulary.
    const multi = errorOf(() => tokenizeTask(readTaskFile(file([HEADER, ROW, { ...ROW, target: ' elephantine' }])), tiny));
    expect(multi.message).toMatch(/:3: target " elephantine" after the prompt is \d+ tokens there for this model; a task's target and alternative must each be one token/);
    // "def" + "ault" merges into "default" for this tokenizer: "ault" is not the next token after "def".
    const merged = errorOf(() => tokenizeTask(readTaskFile(file([HEADER, { prompt: 'x = def', target: 'ault', alternative: 'ine', pairedPrompt: 'y = def' }])), tiny));
    expect(merged.message).toMatch(/:2: target "ault" after the prompt merges with the end of the prompt/);
    // The paired prompt is checked with its own (swapped) answers: "print(" + '"' merges into one token '("'.
    const pair = errorOf(() => tokenizeTask(readTaskFile(file([HEADER, { ...ROW, pairedPrompt: 'print(' }])), tiny));
    expect(pair.message).toMatch(/:2: target "\\"" after the pairedPrompt merges with the end of the prompt/);
  });

  it('the built-in suite is what the seeded generator writes, and every row passes the check on the bundled tokenizer', () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'scripts/tasks/generate.ts'), '--check'], { cwd: ROOT, stdio: 'pipe' });
    const files = readdirSync(join(ROOT, 'resources/tasks')).filter((f) => f.endsWith('.jsonl'));
    const infos = files.map((f) => readTaskFile(join(ROOT, 'resources/tasks', f)).info);
    expect(infos.filter((i) => i.domain === 'code').length).toBeGreaterThanOrEqual(6);
    expect(infos.filter((i) => i.domain === 'prose').length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const t = readTaskFile(join(ROOT, 'resources/tasks', f));
      const { prompts, paired } = tokenizeTask(t, tiny);
      expect(prompts).toHaveLength(t.rows.length);
      expect(paired.every((p, i) => p.target === prompts[i]!.alternative && p.alternative === prompts[i]!.target)).toBe(true);
    }
  });
});
