// The families share one forward and one weight table; what differs is the Architecture (module
// names, layouts, norms). These pin the table against real checkpoints and GPT-2's key order.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../../../src/engine/formats/safetensors';
import { weightShapes } from '../../../src/engine/model/architecture';
import { parseModelConfig } from '../../../src/engine/model/config';
import { GEMMA2 } from '../../../src/engine/model/gemma2';
import { GPT2 } from '../../../src/engine/model/gpt2';
import { LLAMA } from '../../../src/engine/model/llama';

const FIXTURES = resolve(__dirname, '../../fixtures/models');
const ARCHITECTURES = { gpt2: GPT2, llama: LLAMA, gemma2: GEMMA2 };

describe('weightShapes', () => {
  it.each(['gpt2', 'llama', 'qwen2', 'gemma2'])('%s: names exactly the tensors of the PyTorch checkpoint, with their shapes', (name) => {
    const config = parseModelConfig(readFileSync(join(FIXTURES, name, 'config.json'), 'utf8'));
    const file = SafetensorsFile.open(join(FIXTURES, name, 'model.safetensors'));
    try {
      const stored = [...file.tensors.keys()].map((k) => `${k.replace(/^transformer\./, '')}:${file.entry(k).shape.join('x')}`);
      const implied = weightShapes(ARCHITECTURES[config.family], config).map(([n, s]) => `${n}:${s.join('x')}`);
      expect(implied.sort()).toEqual(stored.sort());
    } finally {
      file.close();
    }
  });

  it("keeps GPT-2's checkpoint order (the default model's seeded initialization walks it)", () => {
    const config = parseModelConfig(JSON.stringify({ model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 1, vocab_size: 11, n_positions: 5 }));
    expect(weightShapes(GPT2, config)).toEqual([
      ['wte.weight', [11, 8]],
      ['wpe.weight', [5, 8]],
      ['ln_f.weight', [8]],
      ['ln_f.bias', [8]],
      ['h.0.ln_1.weight', [8]],
      ['h.0.ln_1.bias', [8]],
      ['h.0.attn.c_attn.weight', [8, 24]],
      ['h.0.attn.c_attn.bias', [24]],
      ['h.0.attn.c_proj.weight', [8, 8]],
      ['h.0.attn.c_proj.bias', [8]],
      ['h.0.ln_2.weight', [8]],
      ['h.0.ln_2.bias', [8]],
      ['h.0.mlp.c_fc.weight', [8, 32]],
      ['h.0.mlp.c_fc.bias', [32]],
      ['h.0.mlp.c_proj.weight', [32, 8]],
      ['h.0.mlp.c_proj.bias', [8]],
    ]);
  });
});
