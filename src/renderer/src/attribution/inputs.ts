// The attribution forms' drafts (what the user typed) turned into contract inputs. A draft the
// renderer can already tell is wrong fails here, as a CommandFailed naming the contract's field,
// so the message lands beside the same field the engine's would.
import type { CommandInput } from '@shared/contract';
import { CommandFailed } from '../api/client';
import { parseIndices } from '../playground/interventions';

type Site = CommandInput<'attribution.run'>['site'];
type Metric = CommandInput<'attribution.run'>['metric'];

/** Where the units live: MLP neurons of some layers (blank = every layer), or one SAE's features. */
export type SiteDraft = { kind: 'neurons'; layers: string } | { kind: 'sae'; saeId: number };

export type MetricKind = 'logprob' | 'logit-diff';
export interface MetricDraft {
  kind: MetricKind;
  token: string;
  tokenA: string;
  tokenB: string;
}

export const EMPTY_METRIC: MetricDraft = { kind: 'logprob', token: '', tokenA: '', tokenB: '' };

function invalid(field: string, message: string): CommandFailed {
  return new CommandFailed({ code: 'invalid_input', message: `${field}: ${message}`, field });
}

export function siteInput(draft: SiteDraft): Site {
  if (draft.kind === 'sae') return { kind: 'sae', saeId: draft.saeId };
  if (draft.layers.trim() === '') return { kind: 'neurons' };
  try {
    return { kind: 'neurons', layers: parseIndices(draft.layers, 256) };
  } catch (err) {
    throw invalid('site.layers', (err as Error).message);
  }
}

/**
 * A token as typed: its text exactly (a leading space is part of GPT-2's " the"), or `#123` for
 * the token with id 123 (how the app labels tokens that do not decode to text).
 */
export function tokenRef(text: string, field: string): string | number {
  const id = /^#(\d+)$/.exec(text.trim());
  if (id) return Number(id[1]);
  if (text === '') throw invalid(field, 'give a token (its text, e.g. " the", or #id)');
  return text;
}

export function metricInput(draft: MetricDraft): Metric {
  if (draft.kind === 'logprob') return { kind: 'logprob', token: tokenRef(draft.token, 'metric.token') };
  return { kind: 'logit-diff', tokenA: tokenRef(draft.tokenA, 'metric.tokenA'), tokenB: tokenRef(draft.tokenB, 'metric.tokenB') };
}

/** How a metric reads in a result line: log p(" the") or logit(" a") − logit(" the"). */
export function describeMetric(metric: Metric): string {
  const show = (t: string | number) => (typeof t === 'number' ? `#${t}` : JSON.stringify(t));
  return metric.kind === 'logprob' ? `log p(${show(metric.token)})` : `logit(${show(metric.tokenA)}) − logit(${show(metric.tokenB)})`;
}

/** blocks.3.mlp.hook_post[17] → "L3 n17"; an SAE feature → "f17": short labels for chart axes. */
export function shortUnit(u: { hook: string; index: number }, kind: 'neurons' | 'sae'): string {
  if (kind === 'sae') return `f${u.index}`;
  const layer = /^blocks\.(\d+)\./.exec(u.hook)?.[1];
  return layer === undefined ? `${u.hook}[${u.index}]` : `L${layer} n${u.index}`;
}
