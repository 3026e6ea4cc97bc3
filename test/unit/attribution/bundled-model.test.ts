// The bar on the shipped model: for next-token metrics on a few prompts, zero-ablation
// attribution of the top 50 MLP neurons (all layers, one backward pass) must rank them like real
// one-neuron ablations do (Spearman ≥ 0.6). Integrated gradients is measured beside it.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { attribute, type AttributeOptions } from '../../../src/engine/attribution/attribute';
import { verifyAttribution } from '../../../src/engine/attribution/verify';
import { topNextToken } from './helpers';

const MODEL_DIR = resolve(__dirname, '../../../resources/models/featurescope-tiny');
const PROMPTS = ['Elizabeth said to Mr. Darcy that she', 'def __init__(self', 'import os\nimport', 'She was very much'];
const BAR = 0.6;

// The shipped weights are built by `npm run train:default-model`; without them this file is skipped (and says so).
describe.skipIf(!existsSync(resolve(MODEL_DIR, 'model.safetensors')))('attribution on featurescope-tiny', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    model = await loadModel(MODEL_DIR);
  });
  afterAll(() => model.dispose());

  it.each(PROMPTS)('%j: top-50 neuron scores rank like real zero-ablations', (text) => {
    const tokens = model.tokenizer.encode(text);
    const token = topNextToken(model, tokens);
    const opts: AttributeOptions = { tokens, metric: { kind: 'logprob', token }, site: { kind: 'neurons' } };
    const gradient = verifyAttribution(model, opts, attribute(model, opts), { topN: 50 });
    const igOpts: AttributeOptions = { ...opts, method: 'integrated-gradients' };
    const ig = verifyAttribution(model, igOpts, attribute(model, igOpts), { topN: 50 });
    console.log(
      `${JSON.stringify(text)} → ${JSON.stringify(model.tokenizer.decode([token]))}: gradient Spearman ${gradient.spearman.toFixed(3)} ` +
        `(Pearson ${gradient.pearson.toFixed(3)}), integrated gradients Spearman ${ig.spearman.toFixed(3)} (Pearson ${ig.pearson.toFixed(3)})`,
    );
    expect(gradient.spearman).toBeGreaterThanOrEqual(BAR);
    expect(gradient.signAgreement).toBeGreaterThanOrEqual(0.8);
  });
});
