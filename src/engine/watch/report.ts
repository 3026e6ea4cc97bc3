// The scan report: one self-contained HTML file (inline CSS, inline SVG, no script, no network)
// with the flagged count per watched feature and its top flagged contexts, heat-highlighted the
// way the feature page shows examples, and the experiment id that reproduces the scan.

import { tokenLabelText } from '../../shared/token-display';
import type { Flag } from './scan';
import { escapeHtml as esc, reportHead } from '../report-html';

/** A flagged context as the report shows it (its token ids, kept for replay, are not shown). */
export type ReportContext = Omit<Flag, 'scanned'>;

export interface ReportFeature {
  idx: number;
  threshold: number;
  /** The entry's label, else the user's label, else the automatic explanation. */
  title: string | null;
  flagged: number;
  flaggedTokens: number;
  maxAct: number;
  top: ReportContext[];
}

export interface ScanReport {
  watchlist: string;
  sae: string;
  hook: string;
  model: string;
  /** "corpus /path/x.txt" or "12 prompts". */
  source: string;
  tokens: number;
  contexts: number;
  seconds: number;
  citeId: string;
  createdAt: number;
  features: ReportFeature[];
}

const num = (v: number): string => (!Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : Number(v.toPrecision(4)).toString());
/** A token of running text as the app shows it (shared/token-display): spaces kept, a newline ↵, a tab →, bytes <0xE2>. */
const visible = (t: string): string => tokenLabelText(t, 'inline');

/** Horizontal bars: flagged contexts per feature. */
function countChart(features: ReportFeature[]): string {
  const rowH = 22;
  const labelW = 90;
  const barW = 420;
  const h = features.length * rowH + 28;
  const max = Math.max(1, ...features.map((f) => f.flagged));
  const bars = features
    .map((f, i) => {
      const y = 8 + i * rowH;
      const w = (f.flagged / max) * barW;
      return `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end" class="lbl">#${f.idx}</text><rect class="bar" data-idx="${f.idx}" x="${labelW}" y="${y + 3}" width="${Math.max(f.flagged > 0 ? 1 : 0, w).toFixed(1)}" height="${rowH - 6}" fill="#c4703a"><title>feature ${f.idx}: ${f.flagged} flagged contexts</title></rect><text x="${labelW + w + 6}" y="${y + 14}" class="lbl">${f.flagged}</text>`;
    })
    .join('');
  return `<svg class="chart counts" role="img" aria-label="Flagged contexts per feature" width="${labelW + barW + 60}" height="${h}" viewBox="0 0 ${labelW + barW + 60} ${h}">${bars}<text x="${labelW}" y="${h - 4}" class="lbl">flagged contexts</text></svg>`;
}

/** One context: background ∝ value / the feature's max in the scan; tokens over threshold underlined. */
function contextLine(c: ReportContext, f: ReportFeature): string {
  const max = Math.max(f.maxAct, f.threshold);
  const tokens = c.tokens
    .map((t, i) => {
      const v = c.values[i] ?? 0;
      const a = v > 0 ? 0.08 + 0.82 * Math.min(1, v / max) : 0;
      const cls = `${i === c.peakIndex ? 'peak ' : ''}${v > f.threshold ? 'over' : ''}`.trim();
      return `<span${cls ? ` class="${cls}"` : ''}${a > 0 ? ` style="background:rgba(245,140,60,${a.toFixed(3)})"` : ''} title="${esc(num(v))}">${esc(visible(t))}</span>`;
    })
    .join('');
  return `<div class="ctx"><span class="peak-val">${num(c.peak)}</span><span class="where">doc ${c.doc} · token ${c.position} · ${c.tokensOver} over</span><span class="toks">${tokens}</span></div>`;
}

const REPORT_CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:64em;color:#222;padding:0 1em}
h1{font-size:1.5em}h3{font-size:1.1em;margin-bottom:.2em}.title{font-weight:normal;color:#555}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{color:#666}code{background:#f3f3f3;padding:0 3px}
.chart .lbl{font-size:11px;fill:#333}.feature{border-top:1px solid #ddd;padding-top:.5em}
.ctx{display:grid;grid-template-columns:5em 14em auto;gap:8px;align-items:baseline;padding:2px 0;border-bottom:1px solid #f0f0f0}
.peak-val{font-variant-numeric:tabular-nums;text-align:right;font-weight:600}.where{color:#777;font-size:12px}
.toks{font-family:ui-monospace,monospace;font-size:12.5px;white-space:pre-wrap;word-break:break-word}
.toks span{border-radius:2px}.toks .over{text-decoration:underline;text-decoration-color:#a33}.toks .peak{outline:1px solid #a33}.none{color:#777}`;

export function renderScanReport(r: ScanReport): string {
  const sections = r.features
    .map(
      (f) => `<section class="feature" id="feature-${f.idx}">
<h3>Feature ${f.idx}${f.title ? ` <span class="title">${esc(f.title)}</span>` : ''}</h3>
<p>${f.flagged} flagged contexts (${f.flaggedTokens} tokens over ${num(f.threshold)}); highest activation ${num(f.maxAct)}.</p>
${f.top.length > 0 ? f.top.map((c) => contextLine(c, f)).join('\n') : '<p class="none">No context exceeded the threshold.</p>'}
</section>`,
    )
    .join('\n');
  const total = r.features.reduce((s, f) => s + f.flagged, 0);
  return `${reportHead(`Watchlist scan: ${r.watchlist}`, REPORT_CSS)}<body>
<h1>Watchlist scan: ${esc(r.watchlist)}</h1>
<dl><dt>SAE</dt><dd>${esc(r.sae)} at <code>${esc(r.hook)}</code></dd><dt>Model</dt><dd>${esc(r.model)}</dd>
<dt>Source</dt><dd>${esc(r.source)}: ${r.tokens.toLocaleString('en-US')} tokens in ${r.contexts.toLocaleString('en-US')} contexts, ${num(r.seconds)} s</dd>
<dt>Flagged</dt><dd>${total} feature–context pairs over ${r.features.length} watched features</dd>
<dt>Experiment</dt><dd><a class="exp-link" href="#top" data-exp-id="${esc(r.citeId)}">${esc(r.citeId)}</a> — replay the top flag with <code>featurescope scan --replay ${esc(r.citeId)}</code></dd>
<dt>Created</dt><dd>${new Date(r.createdAt).toISOString()}</dd></dl>
<h2>Flagged contexts per feature</h2>
${countChart(r.features)}
<h2>Top flagged contexts</h2>
${sections}
</body></html>
`;
}
