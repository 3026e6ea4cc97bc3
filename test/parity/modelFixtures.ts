// Shared by the parity tests: the PyTorch reference outputs written by
// scripts/reference/make_model_fixtures.py, and the error measure they are held to.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/backend';
import { SafetensorsFile } from '../../src/engine/formats/safetensors';

export const MODEL_FIXTURES = resolve(__dirname, '../fixtures/models');
export const MODEL_NAMES = ['gpt2', 'llama', 'qwen2', 'gemma2'] as const;

export async function useWasm(): Promise<void> {
  await initBackend({ prefer: 'wasm', threads: 1 });
  if (tf.getBackend() !== 'wasm') throw new Error(`expected the wasm backend, got ${tf.getBackend()}`);
}

export interface ForwardCase {
  name: string;
  tokens: number[][];
  mask: number[][];
  interventions?: unknown[];
}
export interface GreedyCase {
  name: 'greedy';
  prompt: number[];
  expected: number[];
}

export function readCases(model: string): { forward: ForwardCase[]; greedy: GreedyCase } {
  const json = JSON.parse(readFileSync(join(MODEL_FIXTURES, model, 'cases.json'), 'utf8')) as { cases: (ForwardCase | GreedyCase)[] };
  const forward = json.cases.filter((c): c is ForwardCase => c.name !== 'greedy');
  const greedy = json.cases.find((c): c is GreedyCase => c.name === 'greedy');
  if (greedy === undefined) throw new Error(`${model}/cases.json has no greedy case`);
  return { forward, greedy };
}

export interface Expected {
  /** "<case>.<hook or logits>" → values and shape. */
  get(key: string): { data: Float32Array; shape: number[] };
  keys(caseName: string): string[];
}

export function readExpected(model: string): Expected {
  const file = SafetensorsFile.open(join(MODEL_FIXTURES, model, 'expected.safetensors'));
  const names = [...file.tensors.keys()];
  const values = new Map(names.map((n) => [n, { data: file.readFloat32(n).slice(), shape: [...file.entry(n).shape] }]));
  file.close();
  return {
    get(key) {
      const v = values.get(key);
      if (v === undefined) throw new Error(`${model}/expected.safetensors has no ${key}`);
      return v;
    },
    keys(caseName) {
      return names.filter((n) => n.startsWith(`${caseName}.`)).map((n) => n.slice(caseName.length + 1));
    },
  };
}

/**
 * Norm-based relative error over the real (mask = 1) positions of [batch, pos, width] tensors:
 * max |actual − expected| / max |expected|.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, shape: number[], mask: number[][]): number {
  const [batch = 0, pos = 0, width = 0] = shape;
  let maxDiff = 0;
  let maxRef = 0;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < pos; t++) {
      if (mask[b]?.[t] !== 1) continue;
      const base = (b * pos + t) * width;
      for (let i = 0; i < width; i++) {
        const e = expected[base + i] ?? NaN;
        const a = actual[base + i] ?? NaN;
        maxDiff = Math.max(maxDiff, Number.isNaN(a - e) ? Infinity : Math.abs(a - e));
        maxRef = Math.max(maxRef, Math.abs(e));
      }
    }
  }
  return maxDiff / maxRef;
}
