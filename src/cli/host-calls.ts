// Calls the CLI makes to the host: commands that must succeed, and names resolved to models and SAEs.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelInfo } from '../shared/contract';
import { FeaturescopeError } from '../shared/errors';
import type { Host } from '../host/host';
import { corpusFromFlags, parseIntOption, requireString } from './args';

/** An SAE by catalog id or by name. */
export async function resolveSae(host: Host, given: string): Promise<number> {
  if (/^\d+$/.test(given)) return Number(given);
  const saes = (await callOrThrow(host, 'catalog.saes', {})) as Array<{ id: number; name: string }>;
  const found = saes.find((s) => s.name === given);
  if (!found) throw new FeaturescopeError('not_found', `No SAE named "${given}" (known: ${saes.map((s) => s.name).join(', ') || 'none'}).`, 'sae');
  return found.id;
}

/** A folder path, the name of a bundled model, or (nothing) the first bundled model. */
export async function resolveModel(host: Host, given: string | undefined): Promise<string> {
  if (given !== undefined && (given.includes('/') || given.includes('\\') || given.startsWith('.'))) return resolve(given);
  const models = (await callOrThrow(host, 'model.list', {})) as ModelInfo[];
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

/** Call a command; a failure becomes a thrown error the CLI prints. */
export async function callOrThrow(host: Host, command: string, input: unknown): Promise<unknown> {
  const r = await host.call(command, input);
  if (!r.ok) throw new FeaturescopeError(r.error.code, r.error.message, r.error.field);
  return r.value;
}

/** --sae ID|NAME picks an SAE's features, else --layers 0,1,… (default: every layer) picks MLP neurons. */
export async function siteFromFlags(host: Host, values: Record<string, unknown>): Promise<{ kind: 'sae'; saeId: number } | { kind: 'neurons'; layers?: number[] }> {
  if (values.sae !== undefined) return { kind: 'sae', saeId: await resolveSae(host, values.sae as string) };
  if (values.layers === undefined) return { kind: 'neurons' };
  return { kind: 'neurons', layers: String(values.layers).split(',').map((l) => parseIntOption('layers', l, 0, 1023)) };
}

/** --sae, --corpus (with its kind flags), --model and --context: an SAE run over a corpus (analyze, evaluate). */
export async function saeOnCorpusFromFlags(host: Host, values: Record<string, unknown>) {
  return {
    saeId: await resolveSae(host, requireString(values, 'sae')),
    corpus: corpusFromFlags(values),
    ...(values.model === undefined ? {} : { model: resolve(values.model as string) }),
    ...(values.context === undefined ? {} : { contextLength: Number(values.context) }),
  };
}
