import { describe, expect, it } from 'vitest';
import { Intervention } from '../../../src/shared/contract';
import { buildInterventions, describeIntervention, formatIndices, parseFeatureIndex, parseIndices, parseNeurons, steeringValue, type FeatureEdit, type NeuronAblation } from '../../../src/renderer/src/playground/interventions';

describe('parseIndices', () => {
  it('reads indices and ranges, sorted, without repeats', () => {
    expect(parseIndices('5, 0-3 2  7–8')).toEqual([0, 1, 2, 3, 5, 7, 8]);
  });
  it('names the piece it cannot read', () => {
    expect(() => parseIndices('1, x2')).toThrow('"x2"');
    expect(() => parseIndices('9-3')).toThrow('low-high');
    expect(() => parseIndices(' , ')).toThrow('at least one');
    expect(() => parseIndices('0-999', 100)).toThrow('more than 100');
  });
  it('round-trips through formatIndices', () => {
    const idx = [0, 1, 2, 3, 9, 11, 12];
    expect(formatIndices(idx)).toBe('0-3, 9, 11-12');
    expect(parseIndices(formatIndices(idx))).toEqual(idx);
  });
});

describe('buildInterventions', () => {
  const neurons: NeuronAblation[] = [
    { id: 1, layer: 1, neurons: [0, 1, 2], enabled: true },
    { id: 2, layer: 0, neurons: [4], enabled: false },
  ];
  const features: FeatureEdit[] = [
    { id: 3, feature: 7, mode: 'ablate', strength: 0, enabled: true, maxAct: null },
    { id: 4, feature: 9, mode: 'steer', strength: 2.5, enabled: true, maxAct: 4 },
    { id: 5, feature: 10, mode: 'steer', strength: 0, enabled: true, maxAct: null },
    { id: 6, feature: 11, mode: 'steer', strength: -3, enabled: false, maxAct: null },
  ];

  it('sends only enabled, non-empty edits, each one valid under the contract', () => {
    const ivs = buildInterventions(neurons, features, 'blocks.1.hook_resid_post');
    expect(ivs).toEqual([
      { hook: 'blocks.1.mlp.hook_post', kind: 'ablate-zero', target: { neurons: [0, 1, 2] } },
      { hook: 'blocks.1.hook_resid_post', kind: 'ablate-zero', target: { saeFeatures: [7] } },
      { hook: 'blocks.1.hook_resid_post', kind: 'add', target: { saeFeatures: [9] }, value: 10 },
    ]);
    for (const iv of ivs) expect(Intervention.safeParse(iv).success).toBe(true);
  });

  it('drops SAE-feature edits when no SAE is attached', () => {
    expect(buildInterventions(neurons, features, null)).toHaveLength(1);
  });

  it('steers in max-activation units only when the max is known and positive', () => {
    expect(steeringValue({ strength: -2, maxAct: 3 })).toBe(-6);
    expect(steeringValue({ strength: -2, maxAct: null })).toBe(-2);
    expect(steeringValue({ strength: 1.5, maxAct: 0 })).toBe(1.5);
  });
});

describe('describeIntervention', () => {
  it('says what is edited, where, and by how much', () => {
    expect(describeIntervention({ hook: 'blocks.0.mlp.hook_post', kind: 'ablate-zero', target: { neurons: [3, 0, 1, 2] } })).toBe('zero blocks.0.mlp.hook_post[0-3]');
    expect(describeIntervention({ hook: 'h', kind: 'add', target: { saeFeatures: [12] }, value: 2.5 })).toBe('add 2.5 · feature 12 @ h');
  });
});

describe('parseNeurons / parseFeatureIndex', () => {
  it("checks neurons against the MLP's width, naming the first out of range", () => {
    expect(parseNeurons('0-3, 127', 128)).toEqual([0, 1, 2, 3, 127]);
    expect(() => parseNeurons('120-130', 128)).toThrow('neuron 128 is out of range: the MLP has 128 neurons (0-127)');
    expect(parseNeurons('5000', undefined)).toEqual([5000]);
  });
  it('takes a feature index inside the SAE only', () => {
    expect(parseFeatureIndex(' 42 ', 64)).toBe(42);
    for (const bad of ['', '64', '-1', '2.5', 'x']) expect(() => parseFeatureIndex(bad, 64), bad).toThrow('feature must be an index 0-63');
  });
});
