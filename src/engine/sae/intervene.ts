import { FeaturescopeError } from '../../shared/errors';
import { unitEdit, type SaeInterventionHandler } from '../model/interventions';
import type { Sae } from './sae';

/**
 * SAE-feature interventions: encode the hook's activation, edit the chosen latents like neurons
 * (zero, clamp, add), decode, and add back the SAE's error term, so an empty edit changes nothing
 * and the model sees exactly its own activation plus the edit's effect.
 */
export function saeInterventionHandler(sae: Sae): SaeInterventionHandler {
  const hook = sae.cfg.metadata.hook_name;
  return (iv, field) => {
    if (!('saeFeatures' in iv.target)) throw new FeaturescopeError('internal', `${field}: not an SAE-feature intervention`);
    if (iv.hook !== hook) {
      throw new FeaturescopeError('invalid_input', `${field}.hook: the SAE of this run reads ${hook}, not ${iv.hook}`, `${field}.hook`);
    }
    const edit = unitEdit(iv, iv.target.saeFeatures, field, 'saeFeatures');
    return (act, ctx) => sae.withFeatureEdit(act, (features) => edit(features, ctx));
  };
}
