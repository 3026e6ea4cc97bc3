// `featurescope convert llama2c MODEL.bin TOKENIZER.bin OUT_DIR` and `run --prompt ""`, through the
// real CLI and the built engine: the converted folder opens and samples from BOS as llama2.c does;
// an existing non-empty OUT_DIR is left alone unless --force; refusals name the file and the rule;
// a model whose tokenizer adds no BOS refuses an empty prompt in words.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunOutput } from '../../src/shared/contract';

const BIN = resolve(__dirname, '../../bin/featurescope.js');
// ../shared beside the repository (CI clones main with ../shared next to it).
const SOURCE = resolve(__dirname, '../../../shared/models/stories260K');
const home = mkdtempSync(join(tmpdir(), 'featurescope-convert-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, FEATURESCOPE_HOME: home }, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const MODEL = join(SOURCE, 'stories260K.bin');
const TOKENIZER = join(SOURCE, 'tok512.bin');

describe('featurescope convert llama2c', () => {
  const out = join(home, 'stories');

  it('converts into a new folder, and the folder generates the published story from an empty prompt', () => {
    const r = cli(['convert', 'llama2c', MODEL, TOKENIZER, out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as { dir: string; parameters: number; config: { nKvHeads: number; sharedClassifier: boolean } };
    expect(result).toMatchObject({ dir: out, parameters: 260_032, config: { nKvHeads: 4, sharedClassifier: true } });
    const run = cli(['run', '--model', out, '--prompt', '', '--generate', '12', '--json']);
    expect(run.status).toBe(0);
    const output = JSON.parse(run.stdout) as RunOutput;
    expect(output.tokens.map((t) => t.id)).toEqual([1]);
    expect(output.continuation?.text).toMatch(/^Once upon a time, there was a little girl/);
  });

  it('leaves an existing non-empty OUT_DIR alone unless --force', () => {
    const before = readFileSync(join(out, 'config.json'));
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const refused = cli(['convert', 'llama2c', MODEL, TOKENIZER, out]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`${out} exists and is not empty; nothing was written. Pass --force`);
    const forced = cli(['convert', 'llama2c', MODEL, TOKENIZER, out, '--force']);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain('260,032 parameters (dim 64, 5 layers, 8 heads / 4 kv, vocab 512, context 512, tied embeddings)');
    expect(readFileSync(join(out, 'config.json')).equals(before)).toBe(true);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a truncated checkpoint naming the file, writing nothing', () => {
    const short = join(home, 'short.bin');
    copyFileSync(MODEL, short);
    truncateSync(short, 100_000);
    const target = join(home, 'never');
    const r = cli(['convert', 'llama2c', short, TOKENIZER, target]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^featurescope: short\.bin: is 100000 bytes but its header \(dim 64, hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4, vocab_size 512, seq_len 512\) needs 1056540: the file is truncated/);
    expect(readdirSync(home)).not.toContain('never');
  });

  it('refuses a tokenizer of another vocabulary, a missing file, a wrong format word or path count', () => {
    const other = join(home, 'other-tok.bin');
    writeFileSync(other, readFileSync(TOKENIZER).subarray(0, 3000));
    const emptyDir = join(home, 'empty');
    mkdirSync(emptyDir);
    expect(cli(['convert', 'llama2c', MODEL, other, emptyDir]).stderr).toMatch(/^featurescope: other-tok\.bin: ends at token \d+ of the model's 512 \(vocab_size of the checkpoint\)/);
    expect(readdirSync(emptyDir)).toEqual([]);
    expect(cli(['convert', 'llama2c', join(home, 'nope.bin'), TOKENIZER, emptyDir]).stderr).toContain(`checkpoint: ${join(home, 'nope.bin')} does not exist.`);
    const word = cli(['convert', 'gguf', MODEL, TOKENIZER, emptyDir]);
    expect(word.status).toBe(2);
    expect(word.stderr).toContain('convert: the format must be llama2c, got "gguf".');
    expect(cli(['convert', 'llama2c', MODEL, TOKENIZER]).stderr).toContain('convert llama2c takes three paths (MODEL.bin TOKENIZER.bin OUT_DIR), got 2.');
  });

  it('an empty prompt on a model whose tokenizer adds no BOS (the bundled GPT-2) is refused in words', () => {
    // No --model: the default bundled model, which stays featurescope-tiny beside stories260K.
    const r = cli(['run', '--prompt', '', '--generate', '4']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("featurescope: The prompt must not be empty: this model's tokenizer adds no BOS token to start from.\n");
  });
});
