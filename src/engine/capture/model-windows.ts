import { join } from 'node:path';
import type { LoadedModel } from '../model/load';
import { TOKENIZER_FILE } from '../model/tokenizer';
import { type BosMode, checkWindowSettings, defaultBos, readSpecialTokenIds, type WindowSettings } from './windows';

export const DEFAULT_CONTEXT = 128;

/**
 * How a model's tokens are cut into windows: BOS handling as the model expects and which ids are
 * special. Capture and analysis both call this, so analysis sees exactly what training saw.
 */
export function windowSettingsFor(model: LoadedModel, opts: { contextLength?: number; bos?: BosMode | 'auto'; maskSpecialTokens?: boolean }): WindowSettings {
  const tok = model.tokenizer;
  const addsBos = tok.bosTokenId !== null && tok.encode('', { addSpecialTokens: true })[0] === tok.bosTokenId;
  const auto = defaultBos({ family: model.config.family, bosTokenId: tok.bosTokenId, eosTokenId: tok.eosTokenId, addsBos });
  const bos: BosMode = opts.bos === undefined || opts.bos === 'auto' ? auto.bos : opts.bos;
  const bosTokenId = bos === 'none' ? null : bos === auto.bos ? auto.bosTokenId : bos === 'prepend' ? tok.bosTokenId : (tok.eosTokenId ?? tok.bosTokenId);
  const special = new Set(readSpecialTokenIds(join(model.dir, TOKENIZER_FILE)));
  for (const id of [tok.bosTokenId, tok.eosTokenId, bosTokenId]) if (id !== null) special.add(id);
  const maxPositions = model.config.maxPositions;
  const settings: WindowSettings = {
    contextLength: opts.contextLength ?? Math.min(DEFAULT_CONTEXT, maxPositions ?? DEFAULT_CONTEXT),
    bos,
    bosTokenId,
    maskSpecialTokens: opts.maskSpecialTokens ?? true,
    specialTokenIds: [...special].sort((a, b) => a - b),
  };
  checkWindowSettings(settings, maxPositions);
  return settings;
}
