// Issue #15: the memory plan, made from headers before any tensor is read. A Gemma-2-2B-shaped
// folder (26 layers, d_model 2304, vocab 256,000, BF16: 5.2 GB) is written sparse — a real header
// and a file of the right length that holds no data blocks — so the plan of the real size is tested
// in milliseconds. Against wasm's 4 GiB heap it streams; with a native backend and 24 GB it is
// resident; under a fake 0.5 GB limit it is refused naming the numbers, and nothing is read.

import { closeSync, copyFileSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { SafetensorsFile } from '../../../src/engine/formats/safetensors';
import { weightShapes } from '../../../src/engine/model/architecture';
import { parseModelConfig } from '../../../src/engine/model/config';
import { GEMMA2 } from '../../../src/engine/model/gemma2';
import { loadModel, planModelFolder } from '../../../src/engine/model/load';
import { batchRowsWithin, currentLimits, parseByteSize, WASM_HEAP_LIMIT } from '../../../src/engine/model/memoryPlan';
import { asyncErrorOf, errorOf } from '../error-of';

const TOKENIZER = resolve(__dirname, '../../../resources/models/featurescope-tiny/tokenizer.json');
const GEMMA_2_2B = {
  architectures: ['Gemma2ForCausalLM'], model_type: 'gemma2', vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216,
  num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, hidden_activation: 'gelu_pytorch_tanh',
  max_position_embeddings: 8192, rms_norm_eps: 1e-6, rope_theta: 10000.0, attention_bias: false, query_pre_attn_scalar: 256,
  sliding_window: 4096, final_logit_softcapping: 30.0, attn_logit_softcapping: 50.0, tie_word_embeddings: true,
  bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, torch_dtype: 'bfloat16',
};
// Gemma-2-2B's published parameter count.
const GEMMA_2_2B_PARAMETERS = 2_614_341_888;
const GB = 1e9;

let root: string;
let gemma: string;

/** A model folder whose model.safetensors has a real header and `data` bytes of holes. */
function sparseFolder(name: string, config: Record<string, unknown>): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  copyFileSync(TOKENIZER, join(dir, 'tokenizer.json'));
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [tensor, shape] of weightShapes(GEMMA2, parseModelConfig(JSON.stringify(config)))) {
    const bytes = 2 * shape.reduce((a, b) => a * b, 1);
    header[tensor] = { dtype: 'BF16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (text.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  const fd = openSync(join(dir, 'model.safetensors'), 'w');
  writeSync(fd, length);
  writeSync(fd, Buffer.from(text));
  ftruncateSync(fd, 8 + text.length + offset);
  closeSync(fd);
  return dir;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm', threads: 1 });
  root = mkdtempSync(join(tmpdir(), 'fs-memory-plan-'));
  gemma = sparseFolder('gemma-2-2b', GEMMA_2_2B);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('memory plan of a Gemma-2-2B-shaped folder', () => {
  it('streams on wasm (4 GiB heap) on a 24 GB machine, within the heap', () => {
    const p = planModelFolder(gemma, { backend: 'wasm', backendLimitBytes: WASM_HEAP_LIMIT, freeBytes: 24 * GB });
    expect(p.parameters).toBe(GEMMA_2_2B_PARAMETERS);
    expect(p.storedBytes).toBe(2 * GEMMA_2_2B_PARAMETERS);
    expect(p.f32Bytes).toBe(4 * GEMMA_2_2B_PARAMETERS);
    expect(p.storedDtypes).toEqual(['BF16']);
    expect(p.mode).toBe('stream');
    expect(p.fits).toBe(true);
    expect(p.peakBackendBytes).toBeLessThan(WASM_HEAP_LIMIT);
    // One layer of Gemma-2-2B: q, k, v, o and the three MLP matrices, plus four norms, as f32.
    expect(p.largestLayerBytes).toBe(4 * (2304 * 4096 + 2048 * 2304 + 3 * 2304 * 9216 + 4 * 2304));
    expect(p.streamedBytes + p.residentBytes).toBe(p.f32Bytes);
  });

  it('is resident on a native backend with 24 GB free', () => {
    const p = planModelFolder(gemma, { backend: 'tensorflow', backendLimitBytes: 24 * GB, freeBytes: 24 * GB });
    expect(p.mode).toBe('resident');
    expect(p.fits).toBe(true);
    expect(p.residentBytes).toBe(p.f32Bytes);
    expect(p.streamedBytes).toBe(0);
  });

  it('is refused under a fake 0.5 GB limit, naming the numbers, before any tensor is read', async () => {
    const reads = [vi.spyOn(SafetensorsFile.prototype, 'readFloat32'), vi.spyOn(SafetensorsFile.prototype, 'readRowsFloat32'), vi.spyOn(SafetensorsFile.prototype, 'readRaw')];
    try {
      const err = await asyncErrorOf(() => loadModel(gemma, { memoryLimits: { backend: 'wasm', backendLimitBytes: 0.5 * GB, freeBytes: 24 * GB } }));
      expect(err.code).toBe('unsupported');
      expect(err.message).toContain('cannot run here');
      expect(err.message).toContain("over the wasm backend's limit of 500 MB");
      expect(err.message).toContain('parameters 2.61 B, stored 5.2 GB (BF16), 10.5 GB as f32');
      expect(err.message).toContain('largest layer 311 MB as f32; 9 kB resident');
      for (const spy of reads) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of reads) spy.mockRestore();
    }
  });

  it('is refused when the machine lacks the free memory even for streaming', async () => {
    const err = await asyncErrorOf(() => loadModel(gemma, { memoryLimits: { backend: 'tensorflow', backendLimitBytes: 24 * GB, freeBytes: 0.5 * GB } }));
    expect(err.message).toMatch(/its peak [\d.]+ GB is over the 500 MB of free memory/);
  });
});

describe('batch rows within the plan (capture batches)', () => {
  it("gives one row when the limit is the plan's peak, more as the limit grows", () => {
    const config = parseModelConfig(JSON.stringify(GEMMA_2_2B));
    const at = (limit: number): number => batchRowsWithin(planModelFolder(gemma, { backend: 'wasm', backendLimitBytes: limit, freeBytes: 24 * GB }), config, 512);
    const tight = planModelFolder(gemma, { backend: 'wasm', backendLimitBytes: WASM_HEAP_LIMIT, freeBytes: 24 * GB });
    expect(batchRowsWithin({ ...tight, backendLimitBytes: tight.peakBackendBytes }, config, 512)).toBe(1);
    const heap = at(WASM_HEAP_LIMIT);
    expect(heap).toBeGreaterThan(1);
    expect(at(2 * WASM_HEAP_LIMIT)).toBeGreaterThan(heap);
    // A row of 512 tokens of Gemma-2-2B needs about workingBytes; the rows it allows fit the heap.
    expect(tight.peakBackendBytes - tight.workingBytes + heap * tight.workingBytes).toBeLessThanOrEqual(WASM_HEAP_LIMIT);
  });
});

describe('gradients through a streamed model', () => {
  // Gemma-2's tied table: its f32 bytes are exactly what a resident plan holds.
  const TIED = resolve(__dirname, '../../fixtures/models/gemma2');
  const gradOfRun = (model: Awaited<ReturnType<typeof loadModel>>): number[] =>
    Array.from(
      tf.grad((x: tf.Tensor) => {
        const { logits } = model.run([[1, 2, 3]], { hooks: [{ hook: 'blocks.0.hook_resid_post', fn: (a) => a.add(x) }], lastPositionOnly: true });
        return logits.sum();
      })(tf.zeros([model.config.dModel])).dataSync(),
    );

  it("run when every layer's weights fit in the backend at once, refused naming the numbers when not", async () => {
    const plenty = { backend: 'wasm', freeBytes: 24 * GB };
    const streamPeak = planModelFolder(TIED, { ...plenty, backendLimitBytes: 1 }).peakBackendBytes;
    const streamed = await loadModel(TIED, { memoryLimits: { ...plenty, backendLimitBytes: streamPeak } });
    try {
      expect(streamed.memoryPlan.mode).toBe('stream');
      const err = errorOf(() => gradOfRun(streamed));
      expect(err.code).toBe('unsupported');
      expect(err.message).toContain("a gradient (attribution's backward pass) needs all of them in the wasm backend at once");
      expect(streamed.run([[1, 2, 3]]).logits.shape).toEqual([1, 3, streamed.config.vocabSize]); // a plain run still works
    } finally {
      streamed.dispose();
    }
    const p = planModelFolder(TIED, { ...plenty, backendLimitBytes: 1 });
    const roomy = await loadModel(TIED, { memoryLimits: { ...plenty, backendLimitBytes: p.f32Bytes + p.workingBytes } });
    const resident = await loadModel(TIED, { memoryLimits: { ...plenty, backendLimitBytes: 1e12 } });
    try {
      expect(roomy.memoryPlan.mode).toBe('stream');
      expect(resident.memoryPlan.mode).toBe('resident');
      const a = gradOfRun(roomy);
      const b = gradOfRun(resident);
      expect(a.some((v) => v !== 0)).toBe(true);
      a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 4));
    } finally {
      roomy.dispose();
      resident.dispose();
    }
  });
});

describe('FEATURESCOPE_MEMORY_LIMIT', () => {
  it('lowers the backend limit, in bytes or with a unit', () => {
    expect(parseByteSize('2GB')).toBe(2e9);
    expect(parseByteSize('1.5 GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('123456')).toBe(123456);
    expect(currentLimits('wasm', { FEATURESCOPE_MEMORY_LIMIT: '512MB' }).backendLimitBytes).toBe(512e6);
    expect(currentLimits('wasm', {}).backendLimitBytes).toBeLessThanOrEqual(WASM_HEAP_LIMIT);
  });

  it('refuses a value that is not a size, naming the variable', () => {
    const err = errorOf(() => parseByteSize('lots'));
    expect(err.message).toContain('FEATURESCOPE_MEMORY_LIMIT: "lots" is not a size');
  });
});
