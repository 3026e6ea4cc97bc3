// What one experiment-log row is about, in words, whatever its kind: the unit or feature it
// concerns, its context (a prompt excerpt, a contrast set, a watchlist) and its headline figure.
// Logged JSON is read defensively: older rows and other kinds may lack any field.
import type { Intervention } from '@shared/contract';
import { describeIntervention } from '../playground/interventions';
import type { LoggedExperiment } from './logged';

export interface FeatureKey {
  saeId: number;
  idx: number;
}

export interface RowSummary {
  /** The unit the row is about ("feature 186", "blocks.2.mlp.hook_post[40]", "add 4 · feature 12"). */
  subject: string;
  /** A feature whose label belongs beside the subject. */
  feature: FeatureKey | null;
  /** Prompt excerpt, contrast set, watchlist, examples. */
  context: string;
  /** The headline number (KL, effect size, accuracy, flags), or "—". */
  figure: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The first `max` characters of a prompt on one line. */
export function excerpt(text: string | undefined, max = 60): string {
  if (text === undefined || text === '') return '—';
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? `“${line}”` : `“${line.slice(0, max - 1)}…”`;
}

function interventionSummary(e: LoggedExperiment): Pick<RowSummary, 'subject' | 'feature'> {
  const ivs = (obj(e.inputs).interventions ?? []) as Intervention[];
  if (!Array.isArray(ivs) || ivs.length === 0) return { subject: '—', feature: null };
  const first = ivs[0]!;
  const more = ivs.length > 1 ? ` +${ivs.length - 1}` : '';
  const features = 'saeFeatures' in first.target ? first.target.saeFeatures : [];
  const feature = e.saeId !== null && features.length === 1 ? { saeId: e.saeId, idx: features[0]! } : null;
  return { subject: `${describeIntervention(first)}${more}`, feature };
}

export function summarize(e: LoggedExperiment): RowSummary {
  const inputs = obj(e.inputs);
  const outputs = obj(e.outputs);
  switch (e.kind) {
    case 'ablation':
    case 'steering': {
      const kl = num(outputs.kl);
      return { ...interventionSummary(e), context: excerpt(str(inputs.prompt)), figure: kl === undefined ? '—' : `KL ${kl.toPrecision(3)}` };
    }
    case 'audit': {
      const hook = str(outputs.hook) ?? str(inputs.hook) ?? '?';
      const index = num(outputs.index) ?? num(inputs.index);
      const isFeature = outputs.unitKind === 'sae-feature' || (outputs.unitKind === undefined && e.saeId !== null);
      const subject = index === undefined ? hook : isFeature ? `feature ${index}` : `${hook}[${index}]`;
      const d = num(outputs.cohenD);
      const q = num(outputs.q);
      const set = str(outputs.contrastSet) ?? str(inputs.contrastSet);
      return {
        subject,
        feature: isFeature && index !== undefined && e.saeId !== null ? { saeId: e.saeId, idx: index } : null,
        context: set ? `contrast set ${set}` : '—',
        figure: d === undefined ? '—' : `d ${d.toFixed(2)}${q === undefined ? '' : ` · q ${q.toPrecision(2)}`}`,
      };
    }
    case 'attribution': {
      const site = obj(inputs.site);
      const metric = obj(inputs.metric);
      const target = str(metric.target) ?? str(obj(metric.target).text);
      return {
        subject: site.kind === 'sae' ? 'SAE features' : 'MLP neurons',
        feature: null,
        context: `${excerpt(str(inputs.prompt), 44)}${target ? ` → ${JSON.stringify(target)}` : ''}`,
        figure: str(inputs.patchPrompt) ? 'patch' : (str(inputs.method) ?? '—'),
      };
    }
    case 'probe': {
      const examples = Array.isArray(inputs.examples) ? inputs.examples.length : undefined;
      const smallest = obj(outputs.smallest);
      const accuracy = num(smallest.accuracy);
      return {
        subject: `probe ${str(inputs.name) ?? ''} @ ${str(inputs.hook) ?? '?'}`.trim(),
        feature: null,
        context: examples === undefined ? '—' : `${examples} examples`,
        figure: accuracy === undefined ? '—' : `accuracy ${(accuracy * 100).toFixed(1)}%`,
      };
    }
    case 'scan': {
      const watchlist = str(obj(inputs.watchlist).name);
      const features = Array.isArray(outputs.features) ? (outputs.features as Json[]) : [];
      const flagged = features.reduce((s, f) => s + (num(f.flagged) ?? 0), 0);
      const prompts = Array.isArray(inputs.prompts) ? inputs.prompts.length : undefined;
      return {
        subject: `watchlist ${watchlist ?? '?'}`,
        feature: null,
        context: prompts !== undefined ? `${prompts} prompts` : (str(inputs.path) ?? str(obj(inputs.source).path) ?? '—'),
        figure: `${flagged} flagged`,
      };
    }
    default:
      return { subject: '—', feature: null, context: excerpt(str(inputs.prompt)), figure: '—' };
  }
}
