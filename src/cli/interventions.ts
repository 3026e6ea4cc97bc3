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
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || text.trim() === '') throw new FeaturescopeError('invalid_input', `--${flag} "${spec}": "${text}" is not a neuron index`, flag);
  return n;
}

/** The flags of parseInterventionFlags, for --help. */
export const INTERVENTION_FLAGS = handFlags({
  ablate: { type: 'string', multiple: true, value: 'HOOK:N[,M…]', description: 'Zero these neurons at HOOK for this run, e.g. blocks.0.mlp.hook_post:12,40 (repeatable)' },
  steer: { type: 'string', multiple: true, value: 'HOOK:N=V', description: 'Add V to neuron N at HOOK, e.g. blocks.1.mlp.hook_post:7=+4.5 (repeatable)' },
  clamp: { type: 'string', multiple: true, value: 'HOOK:N=V', description: 'Set neuron N at HOOK to V (repeatable)' },
});
