// A llama2.c checkpoint and tokenizer → a Hugging Face Llama folder the engine (and transformers)
// opens: config.json, generation_config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json. Both inputs are read and checked whole before anything is written; each
// file lands atomically, config.json last, so a folder that is cut short is never taken for a model.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic';
import { readLlama2cCheckpoint, type Llama2cHeader } from './llama2c-checkpoint';
import { llamaTokenizerConfig, llamaTokenizerJson, readLlama2cTokenizer } from './llama2c-tokenizer';
import { writeSafetensors } from './safetensors';

export const CONVERTED_FILES = ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'config.json'] as const;

/** run.c's ids: BOS 1, EOS 2. It ends a sample at the next BOS (stories are BOS-separated), so both stop generation. */
const BOS = 1;
const EOS = 2;

export interface Llama2cConversion {
  header: Llama2cHeader;
  parameters: number;
  files: string[];
}

/** HF config.json of the checkpoint's Llama (run.c's constants: RMSNorm eps 1e-5, RoPE θ 10000). */
export function llamaConfig(h: Llama2cHeader): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: h.vocabSize,
    hidden_size: h.dim,
    intermediate_size: h.hiddenDim,
    num_hidden_layers: h.nLayers,
    num_attention_heads: h.nHeads,
    num_key_value_heads: h.nKvHeads,
    head_dim: h.dim / h.nHeads,
    hidden_act: 'silu',
    max_position_embeddings: h.seqLen,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    rope_scaling: null,
    tie_word_embeddings: h.sharedClassifier,
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: BOS,
    eos_token_id: [EOS, BOS],
    torch_dtype: 'float32',
  };
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Converts into `outDir` (created if missing; the caller decided whether it may hold files). */
export function convertLlama2c(modelPath: string, tokenizerPath: string, outDir: string): Llama2cConversion {
  const { header, tensors } = readLlama2cCheckpoint(modelPath);
  const vocab = readLlama2cTokenizer(tokenizerPath, header.vocabSize);
  const tokenizer = json(llamaTokenizerJson(vocab));
  mkdirSync(outDir, { recursive: true });
  writeSafetensors(join(outDir, 'model.safetensors'), tensors, { format: 'pt', converted_from: 'llama2.c checkpoint' });
  writeFileAtomic(join(outDir, 'tokenizer.json'), tokenizer);
  writeFileAtomic(join(outDir, 'tokenizer_config.json'), json(llamaTokenizerConfig(header.seqLen)));
  writeFileAtomic(join(outDir, 'generation_config.json'), json({ bos_token_id: BOS, eos_token_id: [EOS, BOS], max_length: header.seqLen }));
  writeFileAtomic(join(outDir, 'config.json'), json(llamaConfig(header)));
  const parameters = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return { header, parameters, files: [...CONVERTED_FILES] };
}
