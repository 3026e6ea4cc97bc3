// The llama2c reader refuses what run.c would misread: a short or padded checkpoint, header numbers
// out of bounds or inconsistent, a tokenizer that does not fit the checkpoint. Each refusal names
// the file and the field or rule, and nothing is written into the output folder.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertLlama2c } from '../../../src/engine/formats/llama2c-convert';
import { expectedLlama2cBytes, permuteForHfRope, readLlama2cCheckpoint } from '../../../src/engine/formats/llama2c-checkpoint';
import { readLlama2cTokenizer } from '../../../src/engine/formats/llama2c-tokenizer';
import { errorOf } from '../error-of';

const dir = mkdtempSync(join(tmpdir(), 'llama2c-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** dim 8, hidden 12, 1 layer, 2 heads sharing 1 kv head, vocab 260, seq_len 4. */
const HEADER = [8, 12, 1, 2, 1, 260, 4];

function checkpoint(name: string, header: number[] = HEADER, adjustBytes = 0): string {
  const [dim, hidden, layers, heads, kv, vocab, seq] = header as [number, number, number, number, number, number, number];
  const head = dim / heads;
  const floats = Math.abs(vocab) * dim + layers * (2 * dim + 2 * dim * dim + 2 * kv * head * dim + 3 * dim * hidden) + dim + seq * head + (vocab < 0 ? -vocab * dim : 0);
  const bytes = Buffer.alloc(Math.max(0, 28 + floats * 4 + adjustBytes));
  header.forEach((v, i) => bytes.writeInt32LE(v, i * 4));
  for (let i = 28; i + 4 <= bytes.length; i += 4) bytes.writeFloatLE(((i % 97) - 48) / 100, i);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function tokenizer(name: string, pieces: Buffer[], maxLength = 8, extra = Buffer.alloc(0)): string {
  const parts: Buffer[] = [Buffer.alloc(4)];
  parts[0]!.writeInt32LE(maxLength, 0);
  pieces.forEach((p, i) => {
    const head = Buffer.alloc(8);
    head.writeFloatLE(-i, 0);
    head.writeInt32LE(p.length, 4);
    parts.push(head, p);
  });
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([...parts, extra]));
  return path;
}

const byte = (b: number) => Buffer.from(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
const goodPieces = (): Buffer[] => [Buffer.from('<unk>'), Buffer.from('\n<s>\n'), Buffer.from('\n</s>\n'), ...Array.from({ length: 256 }, (_, b) => byte(b)), Buffer.from(' ')];

describe('llama2c checkpoint refusals', () => {
  it('a valid small checkpoint reads, sized exactly by its header, q/k rows permuted', () => {
    const path = checkpoint('ok.bin');
    const { header, tensors } = readLlama2cCheckpoint(path);
    expect(expectedLlama2cBytes(header)).toBe(readFileSync(path).length);
    expect(header).toMatchObject({ dim: 8, nKvHeads: 1, vocabSize: 260, sharedClassifier: true });
    expect(tensors.map((t) => t.name)).toContain('model.layers.0.self_attn.k_proj.weight');
    expect(tensors.map((t) => t.name)).not.toContain('lm_head.weight');
  });

  it('a truncated file names the file, the header and the missing bytes', () => {
    const e = errorOf(() => readLlama2cCheckpoint(checkpoint('short.bin', HEADER, -6)));
    expect(e.code).toBe('bad_file');
    expect(e.message).toMatch(/^short\.bin: is \d+ bytes but its header \(dim 8, hidden_dim 12, n_layers 1, n_heads 2, n_kv_heads 1, vocab_size 260, seq_len 4\) needs \d+: the file is truncated \(6 bytes missing\)$/);
  });

  it('trailing bytes, and a file shorter than the header, are refused', () => {
    expect(errorOf(() => readLlama2cCheckpoint(checkpoint('long.bin', HEADER, 8))).message).toMatch(/^long\.bin: .* 8 unexpected trailing bytes$/);
    const tiny = join(dir, 'tiny.bin');
    writeFileSync(tiny, Buffer.alloc(10));
    expect(errorOf(() => readLlama2cCheckpoint(tiny)).message).toMatch(/^tiny\.bin: is 10 bytes, shorter than the 28-byte llama2\.c header/);
  });

  it.each([
    ['dim', [0, 12, 1, 2, 1, 260, 4], /header field dim is 0; it must be from 1 to 65,536/],
    ['n_layers', [8, 12, 5000, 2, 1, 260, 4], /header field n_layers is 5000; it must be from 1 to 1,024/],
    ['n_kv_heads', [8, 12, 1, 2, 4, 260, 4], /header field n_kv_heads is 4; it must be from 1 to 2/],
    ['vocab_size', [8, 12, 1, 2, 1, 2 ** 30, 4], /header field vocab_size is 1073741824; it must be from 259 to 2,097,152/],
    ['vocab_size', [8, 12, 1, 2, 1, 100, 4], /header field vocab_size is 100; it must be from 259/],
    ['seq_len', [8, 12, 1, 2, 1, 260, -1], /header field seq_len is -1/],
    ['dim', [9, 12, 1, 2, 1, 260, 4], /header field dim \(9\) must be a multiple of n_heads \(2\)/],
    ['n_heads', [6, 12, 1, 2, 1, 260, 4], /dim \/ n_heads \(6 \/ 2\) must be even/],
    ['n_kv_heads', [12, 12, 1, 3, 2, 260, 4], /n_heads \(3\) must be a multiple of n_kv_heads \(2\)/],
  ])('header field %s out of its rules: %j', (field, header, rule) => {
    const path = join(dir, 'bad-header.bin');
    const bytes = Buffer.alloc(28 + 64);
    header.forEach((v, i) => bytes.writeInt32LE(v, i * 4));
    writeFileSync(path, bytes);
    const e = errorOf(() => readLlama2cCheckpoint(path));
    expect(e.message.startsWith('bad-header.bin: ')).toBe(true);
    expect(e.message).toMatch(rule);
    expect(e.field).toBe(field);
  });

  it('a versioned export.py file (magic "ak42") is named as such', () => {
    const path = join(dir, 'v1.bin');
    const bytes = Buffer.alloc(256);
    bytes.writeUInt32LE(0x616b3432, 0);
    writeFileSync(path, bytes);
    expect(errorOf(() => readLlama2cCheckpoint(path)).message).toMatch(/^v1\.bin: starts with the "ak42" magic .* --version 0$/);
  });

  it("the RoPE permutation moves llama2.c's pair (2i, 2i+1) of each head to HF's halves (i, i + d/2)", () => {
    // 2 heads of head_dim 4, one column: rows h·4 + [0,1,2,3] = pairs (0,1), (2,3) → [0,2,1,3].
    const w = Float32Array.from([0, 1, 2, 3, 10, 11, 12, 13]);
    expect([...permuteForHfRope(w, 2, 8, 1)]).toEqual([0, 2, 1, 3, 10, 12, 11, 13]);
  });
});

describe('llama2c tokenizer refusals', () => {
  it('a tokenizer that fits reads, spaces as ▁ and the specials named', () => {
    const { pieces } = readLlama2cTokenizer(tokenizer('ok-tok.bin', goodPieces()), 260);
    expect(pieces.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(pieces[259]).toBe('▁');
  });

  it('fewer tokens than the checkpoint has: truncated, naming the token', () => {
    const e = errorOf(() => readLlama2cTokenizer(tokenizer('few.bin', goodPieces().slice(0, 200)), 260));
    expect(e.message).toBe("few.bin: ends at token 200 of the model's 260 (vocab_size of the checkpoint): the file is truncated or belongs to another model");
    expect(e.field).toBe('token 200');
  });

  it('more tokens than the checkpoint has, a piece longer than max_token_length, a byte token out of place, bad UTF-8', () => {
    expect(errorOf(() => readLlama2cTokenizer(tokenizer('many.bin', goodPieces(), 8, Buffer.alloc(9)), 260)).message).toMatch(/^many\.bin: has 9 bytes after its 260 tokens/);
    const long = goodPieces();
    long[259] = Buffer.from('x'.repeat(20));
    expect(errorOf(() => readLlama2cTokenizer(tokenizer('long-tok.bin', long), 260)).message).toBe('long-tok.bin: token 259 has length 20; it must be from 1 to max_token_length (8)');
    const moved = goodPieces();
    moved[10] = Buffer.from('ab');
    expect(errorOf(() => readLlama2cTokenizer(tokenizer('moved.bin', moved), 260)).message).toMatch(/^moved\.bin: token 10 must be the byte token <0x07>/);
    const broken = goodPieces();
    broken[259] = Buffer.from([0xff, 0xfe]);
    expect(errorOf(() => readLlama2cTokenizer(tokenizer('utf8.bin', broken), 260)).message).toBe('utf8.bin: token 259 is not valid UTF-8 text');
    const huge = join(dir, 'huge.bin');
    writeFileSync(huge, Buffer.concat([Buffer.from([8, 0, 0, 0]), Buffer.alloc(4 + 260 * 16)]));
    expect(errorOf(() => readLlama2cTokenizer(huge, 260)).message).toBe("huge.bin: is 4168 bytes, more than 260 tokens (vocab_size of the checkpoint) of at most max_token_length (8) bytes can take (4164): it is not this model's tokenizer");
    expect(errorOf(() => readLlama2cTokenizer(tokenizer('maxlen.bin', goodPieces(), 0), 260)).message).toBe('maxlen.bin: header field max_token_length is 0; it must be from 1 to 4096');
  });
});

describe('convertLlama2c writes nothing when an input is refused', () => {
  it('a bad tokenizer leaves the output folder absent; a good pair writes every file', () => {
    const out = join(dir, 'out');
    expect(() => convertLlama2c(checkpoint('conv.bin'), tokenizer('conv-few.bin', goodPieces().slice(0, 100)), out)).toThrow(/conv-few\.bin: ends at token 100/);
    expect(existsSync(out)).toBe(false);
    const r = convertLlama2c(checkpoint('conv.bin'), tokenizer('conv-tok.bin', goodPieces()), out);
    expect(readdirSync(out).sort()).toEqual([...r.files].sort());
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'llama', hidden_size: 8, num_key_value_heads: 1, tie_word_embeddings: true, eos_token_id: [2, 1] });
  });
});
