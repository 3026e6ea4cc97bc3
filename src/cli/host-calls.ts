// Calls the CLI makes to the host: names resolved to models and SAEs, and the attribution site.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { callOrThrow } from '../shared/call';
import { FeaturescopeError } from '../shared/errors';
import type { Host } from '../host/host';
import { parseIntOption } from './args';

/** An SAE by catalog id or by name. */
export async function resolveSae(host: Host, given: string): Promise<number> {
  if (/^\d+$/.test(given)) return Number(given);
  const saes = await callOrThrow(host, 'catalog.saes', {});
  const found = saes.find((s) => s.name === given);
  if (!found) throw new FeaturescopeError('not_found', `No SAE named "${given}" (known: ${saes.map((s) => s.name).join(', ') || 'none'}).`, 'sae');
  return found.id;
}

/** A folder path, the name of a bundled model, or (nothing) the first bundled model. */
export async function resolveModel(host: Host, given: string | undefined): Promise<string> {
  if (given !== undefined && (given.includes('/') || given.includes('\\') || given.startsWith('.'))) return resolve(given);
  const models = await callOrThrow(host, 'model.list', {});
  const bundled = models.filter((m) => m.bundled);
  if (given === undefined) {
    if (!bundled[0]) throw new FeaturescopeError('not_found', 'No bundled model is installed; pass --model DIR.', 'model');
    return bundled[0].path;
  }
  const named = models.find((m) => m.name === given);
  if (named) return named.path;
  if (existsSync(given)) return resolve(given);
  throw new FeaturescopeError('not_found', `No model folder or known model named "${given}" (known: ${models.map((m) => m.name).join(', ') || 'none'}).`, 'model');
}

/** --sae ID|NAME picks an SAE's features, else --layers 0,1,… (default: every layer) picks MLP neurons. */
export async function siteFromFlags(host: () => Promise<Host>, values: Record<string, unknown>): Promise<{ kind: 'sae'; saeId: number } | { kind: 'neurons'; layers?: number[] }> {
  if (values.sae !== undefined) return { kind: 'sae', saeId: await resolveSae(await host(), values.sae as string) };
  if (values.layers === undefined) return { kind: 'neurons' };
  return { kind: 'neurons', layers: String(values.layers).split(',').map((l) => parseIntOption('layers', l, 0, 1023)) };
}

/** The flags of siteFromFlags, for --help. */
export const SITE_FLAGS = {
  sae: { type: 'string', value: 'ID|NAME', description: "Rank this SAE's features (by catalog id or name) instead of MLP neurons" },
  layers: { type: 'string', value: 'N[,N…]', description: 'MLP neurons of these layers (default: every layer)' },
} as const;
