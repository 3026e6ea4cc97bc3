// Random-weight model folders at the shapes of real checkpoints (GPT-2-small, Llama-3.2-1B,
// Gemma-2-2B), for benchmarks and the full-size runs of issue #15. The config.json is the real
// model's (sizes, rope scaling, soft-caps, windows), the tensors are the real names and shapes in
// the real dtype (GPT-2 and Gemma-2-2B ship F32, Llama-3.2-1B BF16; --dtype overrides), split into
// shards with an index where the hub's checkpoint is sharded. The weights are uniform noise with a
// GPT-2-like std (fixed seed), so the logits are meaningless but finite and every tensor matters.
// The tokenizer.json is the bundled model's: benchmarks feed token ids, never text.
// The folders are never committed; they are written under a temp or cache folder.
//
//   npx tsx scripts/bench/make-real-shapes.ts --shape gemma-2-2b --out /tmp/gemma-2-2b-random
//        [--dtype f32|bf16] [--layers N] [--seed N] [--shard-gb 2]
//
// A folder already holding the same shape, dtype, layers and seed (its .featurescope-random.json
// says so) is kept as it is, so a benchmark can call this every run for free.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type TensorToWrite, type WritableDtype, writeSafetensors } from '../../src/engine/formats/safetensors';
import { Rng } from '../../src/engine/random';

const ROOT = resolve(__dirname, '../..');
const BUNDLED_TOKENIZER = join(ROOT, 'resources/models/featurescope-tiny/tokenizer.json');
const MARKER = '.featurescope-random.json';

export const REAL_SHAPES = ['gpt2-small', 'llama-3.2-1b', 'gemma-2-2b'] as const;
export type RealShape = (typeof REAL_SHAPES)[number];

export interface MakeOptions {
  /** Stored dtype; default: the real checkpoint's. */
  dtype?: 'F32' | 'BF16';
  /** Fewer layers than the real model (quick runs); default: the real count. */
  layers?: number;
  seed?: number;
  /** Shard size limit in bytes (the writer holds one shard in memory); default 2 GB. */
  shardBytes?: number;
}

interface TensorSpec {
  name: string;
  shape: number[];
  std: number;
  /** Norm gains sit around 1 (or 0 for Gemma's 1 + w). */
  mean: number;
}

interface ShapeSpec {
  config: Record<string, unknown>;
  dtype: 'F32' | 'BF16';
  /** The hub checkpoint is sharded (model-0000i-of-0000n.safetensors + index). */
  sharded: boolean;
  tensors: (layers: number) => TensorSpec[];
  layerField: string;
}

const t = (name: string, shape: number[], std: number, mean = 0): TensorSpec => ({ name, shape, std, mean });

// config.json values as published on the hub (sizes, ids, rope, caps), torch_dtype as stored.
const SHAPES: Record<RealShape, ShapeSpec> = {
  'gpt2-small': {
    dtype: 'F32',
    sharded: false,
    layerField: 'n_layer',
    config: {
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_ctx: 1024, n_embd: 768,
      n_layer: 12, n_head: 12, n_inner: null, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5,
      tie_word_embeddings: true, bos_token_id: 50256, eos_token_id: 50256, torch_dtype: 'float32',
    },
    tensors: (L) => {
      const d = 768, F = 3072, proj = 0.02 / Math.sqrt(2 * L);
      const out = [t('wte.weight', [50257, d], 0.02), t('wpe.weight', [1024, d], 0.01)];
      for (let l = 0; l < L; l++) {
        const p = `h.${l}.`;
        out.push(
          t(`${p}ln_1.weight`, [d], 0.1, 1), t(`${p}ln_1.bias`, [d], 0.02),
          t(`${p}attn.c_attn.weight`, [d, 3 * d], 0.02), t(`${p}attn.c_attn.bias`, [3 * d], 0.02),
          t(`${p}attn.c_proj.weight`, [d, d], proj), t(`${p}attn.c_proj.bias`, [d], 0.02),
          t(`${p}ln_2.weight`, [d], 0.1, 1), t(`${p}ln_2.bias`, [d], 0.02),
          t(`${p}mlp.c_fc.weight`, [d, F], 0.02), t(`${p}mlp.c_fc.bias`, [F], 0.02),
          t(`${p}mlp.c_proj.weight`, [F, d], proj), t(`${p}mlp.c_proj.bias`, [d], 0.02),
        );
      }
      out.push(t('ln_f.weight', [d], 0.1, 1), t('ln_f.bias', [d], 0.02));
      return out;
    },
  },
  'llama-3.2-1b': {
    dtype: 'BF16',
    sharded: false,
    layerField: 'num_hidden_layers',
    config: {
      architectures: ['LlamaForCausalLM'], model_type: 'llama', vocab_size: 128256, hidden_size: 2048, intermediate_size: 8192,
      num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, hidden_act: 'silu',
      max_position_embeddings: 131072, rms_norm_eps: 1e-5, rope_theta: 500000.0,
      rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
      attention_bias: false, mlp_bias: false, tie_word_embeddings: true, bos_token_id: 128000, eos_token_id: 128001,
      torch_dtype: 'bfloat16',
    },
    tensors: (L) => {
      const d = 2048, F = 8192, q = 32 * 64, kv = 8 * 64, proj = 0.02 / Math.sqrt(2 * L);
      const out = [t('model.embed_tokens.weight', [128256, d], 0.02)];
      for (let l = 0; l < L; l++) {
        const p = `model.layers.${l}.`;
        out.push(
          t(`${p}input_layernorm.weight`, [d], 0.1, 1),
          t(`${p}self_attn.q_proj.weight`, [q, d], 0.02), t(`${p}self_attn.k_proj.weight`, [kv, d], 0.02),
          t(`${p}self_attn.v_proj.weight`, [kv, d], 0.02), t(`${p}self_attn.o_proj.weight`, [d, q], proj),
          t(`${p}post_attention_layernorm.weight`, [d], 0.1, 1),
          t(`${p}mlp.gate_proj.weight`, [F, d], 0.02), t(`${p}mlp.up_proj.weight`, [F, d], 0.02), t(`${p}mlp.down_proj.weight`, [d, F], proj),
        );
      }
      out.push(t('model.norm.weight', [d], 0.1, 1));
      return out;
    },
  },
  'gemma-2-2b': {
    dtype: 'F32',
    sharded: true,
    layerField: 'num_hidden_layers',
    config: {
      architectures: ['Gemma2ForCausalLM'], model_type: 'gemma2', vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216,
      num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256,
      hidden_activation: 'gelu_pytorch_tanh', hidden_act: 'gelu_pytorch_tanh', max_position_embeddings: 8192,
      rms_norm_eps: 1e-6, rope_theta: 10000.0, attention_bias: false, query_pre_attn_scalar: 256, sliding_window: 4096,
      final_logit_softcapping: 30.0, attn_logit_softcapping: 50.0, tie_word_embeddings: true, bos_token_id: 2,
      eos_token_id: 1, pad_token_id: 0, cache_implementation: 'hybrid', torch_dtype: 'float32',
    },
    tensors: (L) => {
      const d = 2304, F = 9216, q = 8 * 256, kv = 4 * 256, proj = 0.02 / Math.sqrt(2 * L);
      const out = [t('model.embed_tokens.weight', [256000, d], 0.02)];
      for (let l = 0; l < L; l++) {
        const p = `model.layers.${l}.`;
        out.push(
          t(`${p}input_layernorm.weight`, [d], 0.1),
          t(`${p}self_attn.q_proj.weight`, [q, d], 0.02), t(`${p}self_attn.k_proj.weight`, [kv, d], 0.02),
          t(`${p}self_attn.v_proj.weight`, [kv, d], 0.02), t(`${p}self_attn.o_proj.weight`, [d, q], proj),
          t(`${p}post_attention_layernorm.weight`, [d], 0.1), t(`${p}pre_feedforward_layernorm.weight`, [d], 0.1),
          t(`${p}post_feedforward_layernorm.weight`, [d], 0.1),
          t(`${p}mlp.gate_proj.weight`, [F, d], 0.02), t(`${p}mlp.up_proj.weight`, [F, d], 0.02), t(`${p}mlp.down_proj.weight`, [d, F], proj),
        );
      }
      out.push(t('model.norm.weight', [d], 0.1));
      return out;
    },
  },
};

/** Uniform noise of the given mean and std (√3·std half-width), as F32 or BF16 bytes. */
function fill(rng: Rng, spec: TensorSpec, dtype: 'F32' | 'BF16'): ArrayBufferView {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const half = Math.sqrt(3) * spec.std;
  const f32 = new Float32Array(dtype === 'F32' ? n : Math.min(n, 1 << 20));
  if (dtype === 'F32') {
    for (let i = 0; i < n; i++) f32[i] = spec.mean + half * (2 * rng.uniform() - 1);
    return f32;
  }
  // BF16 in chunks: the top 16 bits of each f32, rounded to nearest even (as torch's .to(bfloat16)).
  const out = new Uint16Array(n);
  const bits = new Uint32Array(f32.buffer);
  for (let start = 0; start < n; start += f32.length) {
    const m = Math.min(f32.length, n - start);
    for (let i = 0; i < m; i++) f32[i] = spec.mean + half * (2 * rng.uniform() - 1);
    for (let i = 0; i < m; i++) {
      const b = bits[i]!;
      out[start + i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

const bytesOf = (s: TensorSpec, dtype: WritableDtype): number => s.shape.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : 2);

/** Writes (or keeps, when already made with the same settings) a random model folder; returns its stored weight bytes. */
export function makeRealShape(shape: RealShape, dir: string, options: MakeOptions = {}): { bytes: number; reused: boolean } {
  const spec = SHAPES[shape];
  const dtype = options.dtype ?? spec.dtype;
  const layers = options.layers ?? (spec.config[spec.layerField] as number);
  const seed = options.seed ?? 20240611;
  const shardBytes = options.shardBytes ?? 2 * 1024 ** 3;
  const tensors = spec.tensors(layers);
  const total = tensors.reduce((n, s) => n + bytesOf(s, dtype), 0);
  const marker = JSON.stringify({ shape, dtype, layers, seed, sharded: spec.sharded, shardBytes });
  const markerPath = join(dir, MARKER);
  if (existsSync(markerPath) && readFileSync(markerPath, 'utf8') === marker) return { bytes: total, reused: true };

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // Shards of whole tensors in checkpoint order, each under shardBytes (one tensor may exceed it alone).
  const groups: TensorSpec[][] = [[]];
  let inGroup = 0;
  for (const s of tensors) {
    const b = bytesOf(s, dtype);
    if (spec.sharded && inGroup > 0 && inGroup + b > shardBytes) {
      groups.push([]);
      inGroup = 0;
    }
    groups[groups.length - 1]!.push(s);
    inGroup += b;
  }
  const rng = Rng.fromSeed(seed);
  const weightMap: Record<string, string> = {};
  groups.forEach((group, i) => {
    const file = spec.sharded ? `model-${String(i + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors` : 'model.safetensors';
    const toWrite: TensorToWrite[] = group.map((s) => ({ name: s.name, dtype, shape: s.shape, data: fill(rng, s, dtype) }));
    writeSafetensors(join(dir, file), toWrite, { format: 'pt' });
    for (const s of group) weightMap[s.name] = file;
  });
  if (spec.sharded) {
    writeFileSync(join(dir, 'model.safetensors.index.json'), `${JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2)}\n`);
  }
  const config = { ...spec.config, [spec.layerField]: layers, torch_dtype: dtype === 'F32' ? 'float32' : 'bfloat16' };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  copyFileSync(BUNDLED_TOKENIZER, join(dir, 'tokenizer.json'));
  writeFileSync(markerPath, marker); // last: a folder cut short by a crash is rewritten next time
  return { bytes: total, reused: false };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      shape: { type: 'string' },
      out: { type: 'string' },
      dtype: { type: 'string' },
      layers: { type: 'string' },
      seed: { type: 'string' },
      'shard-gb': { type: 'string' },
    },
  });
  const shape = values.shape as RealShape | undefined;
  if (shape === undefined || !REAL_SHAPES.includes(shape)) throw new Error(`--shape: one of ${REAL_SHAPES.join(', ')}`);
  if (values.out === undefined) throw new Error('--out: the folder to write (never inside the repository)');
  const dtype = values.dtype === undefined ? undefined : values.dtype.toUpperCase();
  if (dtype !== undefined && dtype !== 'F32' && dtype !== 'BF16') throw new Error('--dtype: f32 or bf16');
  const int = (v: string | undefined, field: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${field}: a positive integer`);
    return n;
  };
  const gb = values['shard-gb'] === undefined ? undefined : Number(values['shard-gb']);
  if (gb !== undefined && !(gb > 0)) throw new Error('--shard-gb: a positive number');
  const t0 = performance.now();
  const { bytes, reused } = makeRealShape(shape, resolve(values.out), {
    dtype, layers: int(values.layers, 'layers'), seed: int(values.seed, 'seed'), shardBytes: gb === undefined ? undefined : gb * 1024 ** 3,
  });
  const what = reused ? 'kept (already made with these settings)' : `written in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  console.log(`${shape}: ${(bytes / 1e9).toFixed(2)} GB of weights in ${values.out}, ${what}`);
}

if (require.main === module) main();
