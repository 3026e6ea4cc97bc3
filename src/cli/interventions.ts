import type { Intervention } from '../shared/contract';
import { FeaturescopeError } from '../shared/errors';
import { handFlags } from './flag-set';

/**
 * Command-line spellings of interventions:
 *   --ablate blocks.0.mlp.hook_post:12,40        zero neurons 12 and 40 at that hook
 *   --steer  blocks.1.mlp.hook_post:7=+4.5       add 4.5 to neuron 7
 *   --clamp  blocks.1.mlp.hook_post:7=2          set neuron 7 to 2
 */
export function parseInterventionFlags(flags: { ablate?: string[]; steer?: string[]; clamp?: string[] }): Intervention[] {
  const out: Intervention[] = [];
  for (const spec of flags.ablate ?? []) {
    const [hook, list] = splitHook(spec, 'ablate');
    out.push({ hook, kind: 'ablate-zero', target: { neurons: list.split(',').map((n) => parseIndex(n, 'ablate', spec)) } });
  }
  for (const [flag, kind] of [['steer', 'add'], ['clamp', 'clamp']] as const) {
    for (const spec of flags[flag] ?? []) {
      const [hook, rest] = splitHook(spec, flag);
      const [index, value] = rest.split('=');
      const v = Number(value);
      if (value === undefined || value.trim() === '' || !Number.isFinite(v)) {
        throw new FeaturescopeError('invalid_input', `--${flag} "${spec}": expected HOOK:NEURON=VALUE, e.g. blocks.0.mlp.hook_post:12=+3`, flag);
      }
      out.push({ hook, kind, target: { neurons: [parseIndex(index ?? '', flag, spec)] }, value: v });
    }
  }
  return out;
}

function splitHook(spec: string, flag: string): [string, string] {
  const at = spec.lastIndexOf(':');
  if (at <= 0 || at === spec.length - 1) throw new FeaturescopeError('invalid_input', `--${flag} "${spec}": expected HOOK:NEURONS, e.g. blocks.0.mlp.hook_post:12,40`, flag);
  return [spec.slice(0, at), spec.slice(at + 1)];
}

function parseIndex(text: string, flag: string, spec: string): number {
  return parseUnit(text, flag, spec, 'neuron index');
}

function parseUnit(text: string, flag: string, spec: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || text.trim() === '') throw new FeaturescopeError('invalid_input', `--${flag} "${spec}": "${text}" is not a ${what}`, flag);
  return n;
}

/** The flags of parseInterventionFlags, for --help. */
export const INTERVENTION_FLAGS = handFlags({
  ablate: { type: 'string', multiple: true, value: 'HOOK:N[,M…]', description: 'Zero these neurons at HOOK for this run, e.g. blocks.0.mlp.hook_post:12,40 (repeatable)' },
  steer: { type: 'string', multiple: true, value: 'HOOK:N=V', description: 'Add V to neuron N at HOOK, e.g. blocks.1.mlp.hook_post:7=+4.5 (repeatable)' },
  clamp: { type: 'string', multiple: true, value: 'HOOK:N=V', description: 'Set neuron N at HOOK to V (repeatable)' },
});

/**
 * SAE-feature spellings, on the run's --sae (whose hook they edit; encode → edit → decode, keeping the
 * SAE's error term, as the playground's toggles and sliders do):
 *   --ablate-feature 12,40      zero features 12 and 40
 *   --steer-feature  7=+4.5     add 4.5 to feature 7
 *   --clamp-feature  7=2        set feature 7 to 2
 */
export function parseFeatureFlags(flags: { 'ablate-feature'?: string[]; 'steer-feature'?: string[]; 'clamp-feature'?: string[] }, saeHook: string): Intervention[] {
  const out: Intervention[] = [];
  for (const spec of flags['ablate-feature'] ?? []) {
    out.push({ hook: saeHook, kind: 'ablate-zero', target: { saeFeatures: spec.split(',').map((n) => parseUnit(n, 'ablate-feature', spec, 'feature index')) } });
  }
  for (const [flag, kind] of [['steer-feature', 'add'], ['clamp-feature', 'clamp']] as const) {
    for (const spec of flags[flag] ?? []) {
      const [index, value] = spec.split('=');
      const v = Number(value);
      if (value === undefined || value.trim() === '' || !Number.isFinite(v)) throw new FeaturescopeError('invalid_input', `--${flag} "${spec}": expected FEATURE=VALUE, e.g. 7=+4.5`, flag);
      out.push({ hook: saeHook, kind, target: { saeFeatures: [parseUnit(index ?? '', flag, spec, 'feature index')] }, value: v });
    }
  }
  return out;
}

/** Whether any SAE-feature flag was given (they need --sae). */
export function hasFeatureFlags(flags: Record<string, unknown>): boolean {
  return FEATURE_FLAG_NAMES.some((f) => flags[f] !== undefined);
}

const FEATURE_FLAG_NAMES = ['ablate-feature', 'steer-feature', 'clamp-feature'] as const;

/** The flags of parseFeatureFlags, for --help. */
export const FEATURE_INTERVENTION_FLAGS = handFlags({
  'ablate-feature': { type: 'string', multiple: true, value: 'N[,M…]', description: 'Zero these features of --sae for this run (repeatable)' },
  'steer-feature': { type: 'string', multiple: true, value: 'N=V', description: 'Add V to feature N of --sae, e.g. 7=+4.5 (repeatable)' },
  'clamp-feature': { type: 'string', multiple: true, value: 'N=V', description: 'Set feature N of --sae to V (repeatable)' },
});
