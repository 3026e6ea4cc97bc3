import type { CommandInput, CommandName } from '../../../src/shared/contract';

/**
 * One valid input per command. The property tests break these one field at a time; a command
 * added to the contract without an example here fails the "every command has an example" test.
 */
export const validExamples: { [C in CommandName]: CommandInput<C> } = {
  'app.doctor': {},
  'jobs.list': {},
  'jobs.get': { jobId: 'job-1234' },
  'jobs.cancel': { jobId: 'job-1234' },
  'engine.benchmark': { size: 64, seconds: 0.1 },
  'catalog.saes': {},
  'catalog.search': { saeId: 1, q: 'def', tags: ['code'], densityMin: 0, densityMax: 0.5, maxActMin: 0, sort: 'relevance', limit: 50, offset: 0 },
  'catalog.feature': { saeId: 1, idx: 0 },
  'catalog.tags': { saeId: 1 },
  'catalog.experiments': { saeId: 1, limit: 10 },
  'catalog.experiment': { ref: 'exp-000001' },
  'catalog.setLabel': { saeId: 1, idx: 3, label: 'Python keywords' },
  'catalog.addTag': { saeId: 1, idx: 3, tag: 'bias' },
  'catalog.removeTag': { saeId: 1, idx: 3, tag: 'bias' },
  'catalog.addNote': { saeId: 1, idx: 3, text: 'fires on def' },
  'model.list': {},
  'model.open': { path: '/models/gpt2' },
  'model.run': {
    model: '/models/gpt2',
    prompt: 'def main(',
    capture: ['blocks.0.hook_resid_post'],
    interventions: [{ hook: 'blocks.0.mlp.hook_post', kind: 'ablate-zero', target: { neurons: [1, 2] } }],
    topK: 5,
    generate: { maxNewTokens: 8, temperature: 0.8, topP: 0.9, seed: 1 },
  },
  'capture.start': { model: '/models/gpt2', corpus: { kind: 'txt', path: '/data/corpus.txt' }, hooks: ['blocks.0.hook_resid_post'], name: 'run-1', maxTokens: 1000 },
  'sae.train': { store: '/ws/activations/run-1/blocks.0.hook_resid_post', name: 'sae-1', architecture: 'topk', dSae: 1024, k: 16, steps: 100, batchSize: 256, seed: 1 },
  'experiment.run': {
    model: '/models/gpt2',
    prompt: 'The nurse said that',
    sae: 1,
    interventions: [{ hook: 'blocks.0.hook_resid_post', kind: 'add', target: { saeFeatures: [5] }, value: 4 }],
    probe: { feature: 5 },
    generate: { maxNewTokens: 8 },
  },
  'experiment.replay': { ref: 'exp-000001' },
  'sae.analyze': { saeId: 1, corpus: { kind: 'jsonl', path: '/data/eval.jsonl', textField: 'text' }, maxTokens: 20000, topExamples: 10 },
  'attribution.run': { model: '/models/gpt2', prompt: 'The capital of France is', metric: { kind: 'logit-diff', tokenA: ' Paris', tokenB: ' London' }, site: { kind: 'neurons', layers: [0, 1] }, method: 'gradient', topN: 20, verify: true },
  'sae.evaluate': { saeId: 1, corpus: { kind: 'folder', path: '/data/texts', recursive: true }, windows: 32 },
  'probe.train': { model: '/models/gpt2', name: 'austen-vs-python', hook: 'blocks.1.mlp.hook_post', pooling: 'mean', examples: [{ text: 'def f(x):', label: 0 }, { text: 'import os', label: 0 }, { text: 'Mr. Darcy bowed.', label: 1 }, { text: 'Emma smiled.', label: 1 }], targetAccuracy: 0.9, seed: 0 },
  'audit.run': { model: '/models/gpt2', contrastSet: 'gendered', layers: [0, 1], pooling: 'mean', topN: 20, alpha: 0.05, outPath: '/tmp/audit.html' },
  'audit.replay': { ref: 'exp-000001' },
  'sae.export': { saeId: 1, dir: '/tmp/exported-sae' },
  'catalog.export': { saeId: 1, format: 'neuronpedia-jsonl', path: '/tmp/features.jsonl' },
  'attribution.patch': { model: '/models/gpt2', sourcePrompt: 'The Eiffel Tower is in', targetPrompt: 'The Colosseum is in', site: { kind: 'neurons', layers: [0] }, topN: 64, scale: 1 },
  'sae.import': { path: '/saes/gemma-scope/params.npz', name: 'imported', hookName: 'blocks.12.hook_resid_post', modelName: 'gemma-2-2b' },
};
