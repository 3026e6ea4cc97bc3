// A feature dashboard to send to a colleague who does not have the app: one self-contained HTML
// file (inline CSS and SVG, no script, no network) with, per feature, what its page in the app
// shows — label and explanation, density, the activation histogram, logit effects, the top and
// quantile examples with per-token heat, tags and notes.
import type { FeaturePage, StoredExample } from '../../catalog/types';
import { formatDensity } from '../../shared/format-density';
import { tokenLabelText } from '../../shared/token-display';
import { escapeHtml as esc, reportHead } from '../report-html';

export interface Dashboard {
  sae: { name: string; hookName: string; architecture: string; dSae: number };
  /** The model folder (or name) the SAE reads. */
  model: string;
  appVersion: string;
  createdAt: number;
  features: FeaturePage[];
}

const num = (v: number): string => (!Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString());
/** A token in running text as the app shows it: spaces kept, ↵ for a newline, <0xE2> for a byte. */
const visible = (t: string): string => tokenLabelText(t, 'inline');
// The app's heat colour for activations (orange), as the scan report uses.
const heat = (a: number) => `rgba(245,140,60,${a.toFixed(3)})`;

/** Bars of the activation histogram; a log10 histogram's axis is labelled in activation units. */
function histogramChart(page: FeaturePage): string {
  const h = page.feature.histogram;
  if (!h) return '<p class="none">No histogram: the feature never fired in the analysis.</p>';
  const w = 360;
  const ht = 90;
  const max = Math.max(1, ...h.counts);
  const bw = w / h.counts.length;
  const bars = h.counts
    .map((c, i) => {
      const bh = (c / max) * ht;
      return `<rect x="${(40 + i * bw).toFixed(1)}" y="${(10 + ht - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="#c4703a"><title>${c} tokens</title></rect>`;
    })
    .join('');
  const edge = (v: number) => (h.scale === 'log10' ? num(10 ** v) : num(v));
  return `<svg class="chart hist" role="img" aria-label="Activation histogram" width="${w + 60}" height="${ht + 36}" viewBox="0 0 ${w + 60} ${ht + 36}">${bars}<line x1="40" y1="${ht + 10}" x2="${w + 40}" y2="${ht + 10}" stroke="#888"/><text x="40" y="${ht + 24}" class="lbl">${edge(h.lo)}</text><text x="${w + 40}" y="${ht + 24}" text-anchor="end" class="lbl">${edge(h.hi)}</text><text x="${40 + w / 2}" y="${ht + 34}" text-anchor="middle" class="lbl">activation (${h.scale === 'log10' ? 'log scale' : 'linear'}), tokens per bin; max ${max}</text></svg>`;
}

function logitTable(page: FeaturePage): string {
  const le = page.logitEffects;
  if (!le) return '<p class="none">No logit effects stored for this feature.</p>';
  const rows = (list: Array<[string, number]>) => list.map(([t, v]) => `<tr><td class="tok">${esc(visible(t))}</td><td class="v">${num(v)}</td></tr>`).join('');
  return `<div class="logits"><table><caption>Promoted</caption>${rows(le.promoted)}</table><table><caption>Suppressed</caption>${rows(le.suppressed)}</table></div>`;
}

/** One example: each token's background ∝ its activation over the feature's max; the peak outlined. */
function exampleLine(e: StoredExample, maxAct: number): string {
  let peak = 0;
  for (let i = 1; i < e.values.length; i++) if (e.values[i]! > e.values[peak]!) peak = i;
  const tokens = e.tokens
    .map((t, i) => {
      const v = e.values[i] ?? 0;
      const a = v > 0 && maxAct > 0 ? 0.08 + 0.82 * Math.min(1, v / maxAct) : 0;
      return `<span${i === peak ? ' class="peak"' : ''}${a > 0 ? ` style="background:${heat(a)}"` : ''} title="${esc(num(v))}">${esc(visible(t))}</span>`;
    })
    .join('');
  return `<div class="ex"><span class="peak-val">${num(e.maxAct)}</span><span class="toks">${tokens}</span></div>`;
}

function examples(page: FeaturePage): string {
  const top = page.examples.filter((e) => e.kind === 'top');
  const buckets = [...new Set(page.examples.filter((e) => e.kind === 'quantile').map((e) => e.bucket))].sort((a, b) => b - a);
  const max = page.feature.maxAct;
  const topHtml = top.length > 0 ? top.map((e) => exampleLine(e, max)).join('\n') : '<p class="none">No top examples.</p>';
  const quantiles = buckets
    .map((b) => {
      const inBucket = page.examples.filter((e) => e.kind === 'quantile' && e.bucket === b);
      return `<h4>Quantile ${b + 1} of ${buckets.length} (${inBucket.length} examples)</h4>\n${inBucket.map((e) => exampleLine(e, max)).join('\n')}`;
    })
    .join('\n');
  return `<h3>Top examples</h3>\n${topHtml}${quantiles ? `\n<h3>Quantile examples</h3>\n${quantiles}` : ''}`;
}

function featureSection(page: FeaturePage): string {
  const f = page.feature;
  const title = page.label.user ?? page.label.auto;
  const explanation = page.label.user && page.label.auto ? `<p class="auto">Automatic explanation: ${esc(page.label.auto)}</p>` : '';
  const tags = page.tags.length > 0 ? `<p class="tags">${page.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join(' ')}</p>` : '';
  const notes = page.notes.length > 0 ? `<h3>Notes</h3>\n${page.notes.map((n) => `<blockquote>${esc(n.text)}<footer>${new Date(n.createdAt).toISOString()}</footer></blockquote>`).join('\n')}` : '';
  return `<section class="feature" id="feature-${f.idx}">
<h2>Feature ${f.idx}${title ? ` <span class="title">${esc(title)}</span>` : ''}</h2>
${explanation}${tags}
<dl><dt>Density</dt><dd>${esc(formatDensity(f.density))} of analysed tokens</dd><dt>Max activation</dt><dd>${num(f.maxAct)}</dd><dt>Mean (when active)</dt><dd>${num(f.meanAct)}</dd></dl>
<div class="row">${histogramChart(page)}${logitTable(page)}</div>
${examples(page)}
${notes}
</section>`;
}

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:68em;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-bottom:.2em}h3{font-size:1em;margin:.8em 0 .2em}h4{font-size:.9em;margin:.6em 0 .1em;color:#555}
.title{font-weight:normal;color:#444}.auto{color:#555;margin:.1em 0}.none{color:#777}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{color:#666}code{background:#f3f3f3;padding:0 3px}
.feature{border-top:1px solid #ddd;padding-top:.6em;margin-top:1.2em}.row{display:flex;gap:2em;flex-wrap:wrap;align-items:flex-start}
.chart .lbl{font-size:11px;fill:#333}.logits{display:flex;gap:1.5em}.logits table{border-collapse:collapse}
.logits caption{text-align:left;color:#666;font-size:12px}.logits td{padding:0 6px;border-bottom:1px solid #f0f0f0}
.tok{font-family:ui-monospace,monospace;white-space:pre}.v{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;background:#eef;border:1px solid #ccd;border-radius:3px;padding:0 5px;font-size:12px}
.ex{display:grid;grid-template-columns:5em auto;gap:8px;align-items:baseline;padding:2px 0;border-bottom:1px solid #f0f0f0}
.peak-val{font-variant-numeric:tabular-nums;text-align:right;font-weight:600}
.toks{font-family:ui-monospace,monospace;font-size:12.5px;white-space:pre-wrap;word-break:break-word}.toks span{border-radius:2px}.toks .peak{outline:1px solid #a33}
blockquote{margin:.3em 0;padding:.2em .8em;border-left:3px solid #ccc;white-space:pre-wrap}blockquote footer{color:#888;font-size:12px}`;

export function renderFeatureDashboard(d: Dashboard): string {
  const index = d.features
    .map((p) => `<li><a href="#feature-${p.feature.idx}">Feature ${p.feature.idx}</a>${p.label.user ?? p.label.auto ? ` — ${esc(p.label.user ?? p.label.auto)}` : ''}</li>`)
    .join('');
  const title = d.features.length === 1 ? `Feature ${d.features[0]!.feature.idx} of ${d.sae.name}` : `${d.features.length} features of ${d.sae.name}`;
  return `${reportHead(title, CSS)}<body>
<h1>${esc(title)}</h1>
<dl><dt>SAE</dt><dd>${esc(d.sae.name)} (${esc(d.sae.architecture)}, ${d.sae.dSae} features) at <code>${esc(d.sae.hookName)}</code></dd>
<dt>Model</dt><dd>${esc(d.model)}</dd><dt>Created</dt><dd>${new Date(d.createdAt).toISOString()} by Featurescope ${esc(d.appVersion)}</dd></dl>
${d.features.length > 1 ? `<ul class="index">${index}</ul>` : ''}
${d.features.map(featureSection).join('\n')}
</body></html>
`;
}
