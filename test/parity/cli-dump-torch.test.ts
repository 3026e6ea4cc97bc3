// The check a user would write from a notebook: full logits and every hook of a prompt dumped by
// `featurescope run` (real CLI process), read with the Python client's readers and compared with a
// plain PyTorch forward of the same safetensors file (test/parity/python/compare_dump.py).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTorch, TORCH_PYTHON as TORCH } from '../torch-peer';

const ROOT = resolve(__dirname, '../..');
const TINY = join(ROOT, 'resources/models/featurescope-tiny');

describe.skipIf(!hasTorch)('CLI dumps against a torch forward, read with the Python client', () => {
  it('logits at every position and every hook match torch to 1e-4 relative', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-dump-'));
    const logits = join(dir, 'logits.npy');
    const hooks = join(dir, 'hooks.safetensors');
    const prompt = 'def area(r):\n    return 3.14 * r * r\n\nShe said that he was';
    const out = execFileSync(process.execPath, [join(ROOT, 'bin/featurescope.js'), 'run', '--model', TINY, '--prompt', prompt, '--hook', 'all', '--logits', logits, '--dump-hooks', hooks, '--json'], { encoding: 'utf8' });
    const run = JSON.parse(out) as { tokens: Array<{ id: number }> };
    const ids = run.tokens.map((t) => t.id);
    const cmp = JSON.parse(execFileSync(TORCH, [join(__dirname, 'python/compare_dump.py'), TINY, JSON.stringify(ids), logits, hooks], { encoding: 'utf8' })) as {
      logits: number;
      shape: number[];
      hooks: Record<string, number>;
      missing: string[];
    };
    expect(cmp.shape).toEqual([1, ids.length, 2048]);
    expect(cmp.missing).toEqual([]);
    expect(cmp.logits).toBeLessThan(1e-4);
    // Every hook torch's forward names: embeddings, each block's residual, attention and MLP hooks, the final norm.
    expect(Object.keys(cmp.hooks).length).toBe(2 + 4 * 6 + 1);
    for (const [name, err] of Object.entries(cmp.hooks)) expect(err, name).toBeLessThan(1e-4);
  }, 120_000);
});
