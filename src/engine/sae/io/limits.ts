// Caps on an imported SAE's sizes, checked from cfg.json or the array headers before any weight is
// read (issue #19): a few bytes of config must not be able to make the engine allocate gigabytes.

import { FeaturescopeError } from '../../../shared/errors';

export const SAE_LIMITS = {
  /** Widest residual stream of the model caps (config.ts CONFIG_LIMITS.width). */
  dIn: 65_536,
  /** Twice the widest Gemma Scope SAE (2^20 latents). */
  dSae: 2 ** 21,
  /**
   * d_in × d_sae per matrix: 2 GiB of f32, so W_enc and W_dec together fill the 4 GB backend heap.
   * A bigger SAE could not run here at all.
   */
  matrixElements: 2 ** 29,
} as const;

/** Throws bad_file naming `file`, the field, its value and the cap it breaks. */
export function checkSaeSize(file: string, dIn: number, dSae: number, fields: { dIn: string; dSae: string }): void {
  const fail = (field: string, rule: string): FeaturescopeError => new FeaturescopeError('bad_file', `${file}: ${field} ${rule}`, field);
  if (dIn > SAE_LIMITS.dIn) throw fail(fields.dIn, `is ${dIn}; the limit is ${SAE_LIMITS.dIn.toLocaleString('en-US')}`);
  if (dSae > SAE_LIMITS.dSae) throw fail(fields.dSae, `is ${dSae}; the limit is ${SAE_LIMITS.dSae.toLocaleString('en-US')} latents`);
  if (dIn * dSae > SAE_LIMITS.matrixElements) {
    throw fail(
      fields.dSae,
      `× ${fields.dIn} is ${dSae} × ${dIn} = ${(dIn * dSae).toLocaleString('en-US')} weights per matrix; the limit is ${SAE_LIMITS.matrixElements.toLocaleString('en-US')} (W_enc and W_dec must fit the 4 GB backend heap together)`,
    );
  }
}
