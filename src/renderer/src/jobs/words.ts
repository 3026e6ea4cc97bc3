// Job metrics and result fields as people read them: a title in words, the unit of its values,
// and how to print one. Names not listed here are turned into words from their key.
import { formatNumber } from '../ui/format';

export interface MetricWords {
  title: string;
  /** What the values count, shown on the y axis ('' when they are plain numbers). */
  unit: string;
  /** Values are fractions shown as percentages. */
  percent?: boolean;
  /** A running count that only repeats the x axis: not worth a chart. */
  counter?: boolean;
}

const METRICS: Record<string, MetricWords> = {
  loss: { title: 'Training loss', unit: '' },
  mse: { title: 'Reconstruction error', unit: 'MSE per element' },
  explained_variance: { title: 'Explained variance', unit: '%', percent: true },
  l0: { title: 'Active features per token', unit: 'L0' },
  dead_fraction: { title: 'Dead features', unit: '% of features', percent: true },
  lr: { title: 'Learning rate', unit: '' },
  tokensPerSecond: { title: 'Throughput', unit: 'tokens/s' },
  gflops: { title: 'Matmul throughput', unit: 'GFLOP/s' },
  shards: { title: 'Store shards written', unit: 'shards' },
  tokens: { title: 'Tokens', unit: 'tokens', counter: true },
  // sparse.train (weight-sparse GPT-2)
  trainLoss: { title: 'Training loss', unit: 'nats/token' },
  valLoss: { title: 'Validation loss', unit: 'nats/token' },
  nonzeroFraction: { title: 'Nonzero weights', unit: '% of sparsified matrices', percent: true },
  scheduledFraction: { title: 'Scheduled nonzero fraction', unit: '%', percent: true },
  gradNorm: { title: 'Gradient norm (before RMS normalising)', unit: '' },
};

/** Keys whose words are not their letters. */
const KEY_WORDS: Record<string, string> = { lr: 'Learning rate', saeId: 'SAE id', dSae: 'd_sae', dIn: 'd_in', storeDir: 'Store folder', dir: 'Folder' };

/** "tokensPerSecond" → "Tokens per second", "ce_loss_score" → "CE loss score". */
export function keyToWords(key: string): string {
  const known = KEY_WORDS[key];
  if (known !== undefined) return known;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.-]+/g, ' ')
    .trim()
    .split(/\s+/)
    .map((w) => (/^(ce|kl|mse|l0|l1|id|sae|fvu|gflops)$/i.test(w) ? w.toUpperCase().replace('GFLOPS', 'GFLOP/s') : w.toLowerCase()));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function metricWords(key: string): MetricWords {
  const alive = /^alive_L(\d+)$/.exec(key);
  if (alive) return { title: `Alive MLP neurons, layer ${alive[1]}`, unit: 'neurons' };
  return METRICS[key] ?? { title: keyToWords(key), unit: '' };
}

/** A chart's title: words, and its unit in brackets. */
export function chartTitle(key: string): string {
  const m = metricWords(key);
  return m.unit === '' || m.unit === '%' ? `${m.title}${m.unit === '%' ? ' (%)' : ''}` : `${m.title} (${m.unit})`;
}

/** A value of a metric or result field, printed for reading. */
export function formatValue(key: string, v: number): string {
  if (metricWords(key).percent) return `${(v * 100).toFixed(1)} %`;
  return formatNumber(v);
}
