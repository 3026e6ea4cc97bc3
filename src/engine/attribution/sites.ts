// Where attribution, verification and delta patching act: MLP neurons at blocks.L.mlp.hook_post,
// or the features of one SAE at its hook. Every edit goes through `editUnits`, which rewrites the
// units of a hook's activation and, for an SAE, keeps its error term:
//   x' = decode(edit(f)) + (x − decode(f)),  f = encode(x)
// so an identity edit gives back x, and a feature edit Δf moves x by exactly Δf·W_dec.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { ModelConfig } from '../model/config';
import type { Sae } from '../sae/sae';

export type AttributionSite =
  /** MLP neurons at blocks.L.mlp.hook_post for the chosen layers (default: every layer). */
  | { kind: 'neurons'; layers?: number[] }
  /** The features of one SAE at its hook (cfg.metadata.hook_name). */
  | { kind: 'sae'; sae: Sae };

export type UnitKind = 'neuron' | 'sae-feature';

/** One hook whose units are scored: a layer's neurons or an SAE's features. */
export interface SiteHook {
  hook: string;
  unitKind: UnitKind;
  /** Units per position: d_mlp or d_sae. */
  width: number;
  sae: Sae | null;
}

/** A unit: a neuron or feature at a hook; `position` absent means every position of the prompt. */
export interface UnitRef {
  hook: string;
  index: number;
  position?: number;
}

export function resolveSite(site: AttributionSite, config: ModelConfig, hookNames: string[]): SiteHook[] {
  if (site.kind === 'sae') {
    const hook = site.sae.cfg.metadata.hook_name;
    if (!hookNames.includes(hook)) {
      throw new FeaturescopeError('invalid_input', `site.sae: the SAE reads ${JSON.stringify(hook)}, which is not a hook point of this model`, 'site.sae');
    }
    return [{ hook, unitKind: 'sae-feature', width: site.sae.cfg.d_sae, sae: site.sae }];
  }
  const layers = site.layers ?? Array.from({ length: config.nLayers }, (_, L) => L);
  if (layers.length === 0) throw new FeaturescopeError('invalid_input', 'site.layers: choose at least one layer', 'site.layers');
  const seen = new Set<number>();
  return layers.map((L) => {
    if (!Number.isInteger(L) || L < 0 || L >= config.nLayers) {
      throw new FeaturescopeError('invalid_input', `site.layers: layer ${L} is outside [0, ${config.nLayers})`, 'site.layers');
    }
    if (seen.has(L)) throw new FeaturescopeError('invalid_input', `site.layers: layer ${L} is listed twice`, 'site.layers');
    seen.add(L);
    return { hook: `blocks.${L}.mlp.hook_post`, unitKind: 'neuron' as const, width: config.dMlp, sae: null };
  });
}

/** The hook's units for an activation: the activation itself, or the SAE's features. */
export function unitsOf(site: SiteHook, act: tf.Tensor): tf.Tensor {
  return site.sae === null ? act : site.sae.encode(act); // [batch, pos, width]
}

/** Rewrites the units of `act` with `edit` (see the file comment); called inside a forward. */
export function editUnits(site: SiteHook, act: tf.Tensor, edit: (units: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (site.sae === null) return edit(act);
  const sae = site.sae;
  const f = sae.encode(act); // [batch, pos, d_sae]
  const error = act.sub(sae.decode(f, act)); // [batch, pos, d_in]
  return sae.decode(edit(f), act).add(error);
}

/** Checks a unit list against the site hooks; returns the hook of each unit. */
export function checkUnits(units: UnitRef[], hooks: SiteHook[], positions: number, field = 'units'): SiteHook[] {
  const byHook = new Map(hooks.map((h) => [h.hook, h]));
  return units.map((u, i) => {
    const site = byHook.get(u.hook);
    if (site === undefined) throw new FeaturescopeError('invalid_input', `${field}.${i}.hook: ${JSON.stringify(u.hook)} is not a hook of this site`, `${field}.${i}.hook`);
    if (!Number.isInteger(u.index) || u.index < 0 || u.index >= site.width) {
      throw new FeaturescopeError('invalid_input', `${field}.${i}.index: ${u.index} is outside [0, ${site.width}) at ${u.hook}`, `${field}.${i}.index`);
    }
    if (u.position !== undefined && (!Number.isInteger(u.position) || u.position < 0 || u.position >= positions)) {
      throw new FeaturescopeError('invalid_input', `${field}.${i}.position: ${u.position} is outside the prompt's ${positions} positions`, `${field}.${i}.position`);
    }
    return site;
  });
}

export function unitLabel(u: UnitRef): string {
  return `${u.hook}[${u.index}]${u.position === undefined ? '' : `@${u.position}`}`;
}
