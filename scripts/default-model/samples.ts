// Prints continuations of the shipped default model for the model card: greedy and seeded
// sampling, for a code prompt and a prose prompt, run by the engine's own loader and generator.
// Run: npx tsx scripts/default-model/samples.ts
import { resolve } from 'node:path';
import { initBackend } from '../../src/engine/backend';
import { loadModel } from '../../src/engine/model/load';

const MODEL_DIR = resolve(import.meta.dirname, '../../resources/models/featurescope-tiny');
const PROMPTS = ['def ', 'import os\n\nclass ', 'It is a truth universally acknowledged', 'Mr. Darcy said that'];

async function main(): Promise<void> {
  await initBackend({ prefer: 'wasm', threads: 1 });
  const model = await loadModel(MODEL_DIR);
  for (const prompt of PROMPTS) {
    for (const mode of [{ label: 'greedy', temperature: 0 }, { label: 'sampled (temperature 0.8, top-p 0.95, seed 1)', temperature: 0.8, topP: 0.95, seed: 1 }]) {
      const ids: number[] = [];
      for await (const t of model.generate(model.tokenizer.encode(prompt), { maxNewTokens: 60, ...mode })) ids.push(t.token);
      console.log(`### ${JSON.stringify(prompt)} — ${mode.label}\n\`\`\`\n${prompt}${model.tokenizer.decode(ids)}\n\`\`\`\n`);
    }
  }
  model.dispose();
  process.exit(0);
}

void main();
