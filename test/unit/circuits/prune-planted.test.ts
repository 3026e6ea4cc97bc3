// Pruning a model built by hand whose task is carried by four known MLP neurons (planted-circuit.ts):
// the pruner finds exactly those four, verifies them (sufficient, necessary, unlike random circuits
// of the same size), and the same seed gives the same scores and circuit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { ablationValues } from '../../../src/engine/circuits/ablation-values';
import { CircuitScorer } from '../../../src/engine/circuits/circuit-metrics';
import { mlpNeuronSites } from '../../../src/engine/circuits/nodes';
import { prune, PRUNE_DEFAULTS, type PruneResult } from '../../../src/engine/circuits/prune';
import { taskBatches } from '../../../src/engine/circuits/task-batches';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import type { TokenizedExample } from '../../../src/engine/tasks/task-file';
import { readTaskFile, tokenizeTask } from '../../../src/engine/tasks/task-file';
import { PLANTED, writePlantedCircuitModel, writePlantedTask } from './planted-circuit';

const OPTIONS = { ...PRUNE_DEFAULTS, steps: 100 };
const plantedFlat = PLANTED.map((p) => p.layer * 128 + p.index).sort((a, b) => a - b);
const names = (r: PruneResult) => r.circuit.nodes.map((n) => `${n.hook}#${n.index}`);

describe('pruning a planted circuit', () => {
  let model: LoadedModel;
  let examples: TokenizedExample[];
  let result: PruneResult;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    const dir = writePlantedCircuitModel();
    model = await loadModel(dir);
    const t = tokenizeTask(readTaskFile(writePlantedTask(dir)), model.tokenizer);
    examples = [...t.prompts, ...t.paired];
    result = await prune(model, examples, OPTIONS);
  }, 300_000);
  afterAll(() => model?.dispose());

  it('is a fixture where all four planted neurons are needed for the target and enough for it', () => {
    const sites = mlpNeuronSites(model.config);
    const batches = taskBatches(examples);
    const scorer = new CircuitScorer(model, sites, batches, ablationValues(model, sites, batches, 'mean'));
    const keep = (ids: number[]) => Float32Array.from({ length: 256 }, (_, i) => (ids.includes(i) ? 1 : 0));
    try {
      expect(scorer.score(keep(plantedFlat)).loss).toBeLessThanOrEqual(OPTIONS.targetLoss);
      for (const drop of plantedFlat) expect(scorer.score(keep(plantedFlat.filter((i) => i !== drop))).loss).toBeGreaterThan(OPTIONS.targetLoss);
    } finally {
      scorer.dispose();
    }
  });

  it('finds exactly the planted neurons', () => {
    expect(result.reachedTarget).toBe(true);
    expect(names(result)).toEqual(PLANTED.map((p) => `${p.hook}#${p.index}`).sort());
    expect(result.circuit.size).toEqual({ nodes: 4, edges: 4 });
    expect(result.circuit.maskable).toBe(256);
    expect(result.circuit.relativeSparsity).toBeCloseTo(4 / 256, 10);
    expect(result.circuit.loss).toBeLessThanOrEqual(OPTIONS.targetLoss);
    expect(result.circuit.accuracy).toBe(1);
    expect(result.circuit.exactMatch).toBe(1);
    expect(result.meansOver).toBe('task-prompts');
  });

  it('verifies it: sufficient, necessary, and not matched by random circuits of its size', () => {
    expect(result.verification.sufficient).toBe(true);
    expect(result.verification.necessity.accuracy).toBe(0.5);
    expect(result.verification.necessity.necessary).toBe(true);
    expect(result.verification.randomControl.matches).toBe(false);
    expect(result.verification.faithful).toBe(true);
  });

  it('gives the same scores and circuit again with the same seed', async () => {
    const again = await prune(model, examples, OPTIONS);
    expect(again.circuit.nodes).toEqual(result.circuit.nodes);
    expect(again.bisection).toEqual(result.bisection);
  }, 300_000);
});
