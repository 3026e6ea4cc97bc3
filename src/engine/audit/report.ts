// The audit report: one self-contained HTML file (inline CSS, inline SVG charts, no script, no
// network) listing every finding with its evidence and the experiment ids that reproduce it.

import type { AuditRunResult } from '../../shared/contract';
import type { UnitEvidence } from './audit';
import { escapeHtml as esc, reportHead } from '../report-html';

export interface ReportFinding extends UnitEvidence {
  /** exp-000123 of the logged finding. */
  citeId: string;
  /** Set when the finding is an SAE feature that was tagged. */
  tagged?: boolean;
  /** The tag set (`bias` or `<attribute>-sensitive`). */
  tag?: string | null;
  /** The feature's catalog label. */
  label?: string | null;
}

export interface AuditReport {
  title: string;
  model: string;
  sae: AuditRunResult['sae'];
  contrastSet: AuditRunResult['contrastSet'];
  method: AuditRunResult['method'];
  pairs: number;
  comparedPairs: number;
  unitsTested: number;
  significantBeforeFloor: number;
  significant: number;
  biasDrivers: number;
  outcome: AuditRunResult['outcome'];
  outcomeNote: string | null;
  probe: { testAccuracy: number | null; features: number };
  createdAt: number;
  findings: ReportFinding[];
}

const num = (v: number | null): string => (v === null ? '—' : !Number.isFinite(v) ? (v > 0 ? '∞' : '−∞') : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(3));
/** An SAE feature by its number and label (`f186 "indentation"`), a neuron by hook[index]. */
const unitName = (f: ReportFinding): string => (f.unitKind === 'sae-feature' ? `feature ${f.index}${f.label ? ` “${f.label.length > 40 ? `${f.label.slice(0, 39)}…` : f.label}”` : ''}` : `${f.hook}[${f.index}]`);
// The app's side colours (src/renderer/src/ui/charts/audit.ts SIDE_COLORS), darkened enough to read on white.
const COLOR_A = '#9b59c0';
const COLOR_B = '#3c9a5a';

/** Horizontal bars of Cohen's d per finding (clipped at ±10 so one huge effect keeps the rest readable). */
function effectChart(findings: ReportFinding[]): string {
  const rowH = 20;
  const labelW = 260;
  const barW = 360;
  const h = findings.length * rowH + 30;
  const clip = (v: number) => Math.max(-10, Math.min(10, Number.isFinite(v) ? v : Math.sign(v) * 10));
  const max = Math.max(1, ...findings.map((f) => Math.abs(clip(f.cohenD))));
  const mid = labelW + barW / 2;
  const bars = findings
    .map((f, i) => {
      const v = clip(f.cohenD);
      const w = (Math.abs(v) / max) * (barW / 2);
      const x = v >= 0 ? mid : mid - w;
      const y = 10 + i * rowH;
      return `<text x="${labelW - 6}" y="${y + 13}" text-anchor="end" class="lbl">${esc(unitName(f))}</text><rect class="bar" x="${x.toFixed(1)}" y="${y + 3}" width="${Math.max(1, w).toFixed(1)}" height="${rowH - 6}" fill="${v >= 0 ? COLOR_B : COLOR_A}"><title>${esc(unitName(f))}: d = ${num(f.cohenD)}</title></rect><text x="${labelW + barW + 6}" y="${y + 13}" class="lbl">${num(f.cohenD)}</text>`;
    })
    .join('');
  return `<svg class="chart effects" role="img" aria-label="Effect sizes" width="${labelW + barW + 70}" height="${h}" viewBox="0 0 ${labelW + barW + 70} ${h}"><line x1="${mid}" y1="5" x2="${mid}" y2="${h - 15}" stroke="#888"/>${bars}<text x="${mid}" y="${h - 2}" text-anchor="middle" class="lbl">Cohen's d (side b − side a), clipped at ±10</text></svg>`;
}

/** Strip plot of the pooled activation per prompt on both sides, with each side's mean. */
function distributionChart(f: ReportFinding, sideA: string, sideB: string): string {
  const w = 420;
  const h = 90;
  const all = [...f.valuesA, ...f.valuesB];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-12) {
    lo -= 1;
    hi += 1;
  }
  const X = (v: number) => 70 + ((v - lo) / (hi - lo)) * (w - 90);
  const row = (values: number[], y: number, color: string) => values.map((v) => `<circle cx="${X(v).toFixed(1)}" cy="${y}" r="3" fill="${color}" fill-opacity="0.55"/>`).join('');
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  const tick = (v: number, y: number, color: string) => `<line x1="${X(v).toFixed(1)}" y1="${y - 9}" x2="${X(v).toFixed(1)}" y2="${y + 9}" stroke="${color}" stroke-width="2"/>`;
  return `<svg class="chart dist" role="img" aria-label="Activation distributions of ${esc(unitName(f))}" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}"><text x="0" y="24" class="lbl">${esc(sideA)}</text><text x="0" y="54" class="lbl">${esc(sideB)}</text>${row(f.valuesA, 20, COLOR_A)}${row(f.valuesB, 50, COLOR_B)}${tick(mean(f.valuesA), 20, COLOR_A)}${tick(mean(f.valuesB), 50, COLOR_B)}<line x1="70" y1="72" x2="${w - 20}" y2="72" stroke="#888"/><text x="70" y="86" class="lbl">${num(lo)}</text><text x="${w - 20}" y="86" text-anchor="end" class="lbl">${num(hi)}</text></svg>`;
}

const REPORT_CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.5em}h3{font-size:1.1em;margin-bottom:.3em}.kind{font-weight:normal;color:#666;font-size:.85em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3;font-weight:600}
.chart .lbl{font-size:11px;fill:#333}.finding{border-top:1px solid #ddd;padding-top:.5em}code{background:#f3f3f3;padding:0 3px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{color:#666}`;

export function renderAuditReport(r: AuditReport): string {
  const cs = r.contrastSet;
  const m = r.method;
  const where = m.positions === 'context' ? 'the tokens both sides share after the swapped words (aligned from the end)' : 'every token, the swapped words included (measures token identity as well as the attribute)';
  const roleText = (f: ReportFinding) => (f.role === 'bias' ? 'drives the biased outcome' : `encodes ${cs.attribute}`);
  const findings = r.findings
    .map(
      (f, i) => `<section class="finding" id="${esc(f.citeId)}">
<h3>${i + 1}. ${esc(unitName(f))} <span class="kind">${f.unitKind === 'sae-feature' ? `${esc(f.hook)}, ` : ''}${f.unitKind} · ${roleText(f)}${f.tag ? ` · tagged ${esc(f.tag)}` : ''}</span></h3>
<p class="cite">Reproduce: <a class="exp-link" href="#${esc(f.citeId)}" data-exp-id="${esc(f.citeId)}">${esc(f.citeId)}</a> — <code>featurescope audit --replay ${esc(f.citeId)}</code></p>
<table><tr><th>mean (${esc(cs.sideA)})</th><th>mean (${esc(cs.sideB)})</th><th>difference</th><th>Cohen's d</th><th>p (perm.)</th><th>q (BH)</th><th>predicted outcome effect</th><th>measured outcome effect</th><th>q (effect)</th><th>probe weight</th></tr>
<tr><td>${num(f.meanA)}</td><td>${num(f.meanB)}</td><td>${num(f.meanDiff)}</td><td>${num(f.cohenD)}</td><td>${num(f.p)}</td><td>${num(f.q)}</td><td>${num(f.attribution)}</td><td>${num(f.measuredEffect)}</td><td>${num(f.effectQ)}</td><td>${num(f.probeWeight)}</td></tr></table>
${distributionChart(f, cs.sideA, cs.sideB)}
</section>`,
    )
    .join('\n');
  const sae = r.sae;
  const outcome = r.outcome;
  return `${reportHead(r.title, REPORT_CSS)}<body>
<h1>${esc(r.title)}</h1>
<dl><dt>Model</dt><dd>${esc(r.model)}</dd>
<dt>Units</dt><dd>${sae ? `SAE “${esc(sae.name)}” (#${sae.id}): ${esc(sae.architecture)}, ${sae.width} features at ${esc(sae.hook)}; content sha256 <code>${esc(sae.contentHash || 'unreadable')}</code>` : 'MLP neurons'}</dd>
<dt>Contrast set</dt><dd>${esc(cs.id)} version ${cs.version} — ${esc(cs.title)} (side a: ${esc(cs.sideA)}, side b: ${esc(cs.sideB)}; attribute: ${esc(cs.attribute)}), ${r.pairs} pairs, ${r.comparedPairs} compared</dd>
<dt>Positions</dt><dd>${esc(where)}; pooling: ${m.pooling === 'mean' ? 'mean over those positions' : 'the last token'}</dd>
<dt>Encodes ${esc(cs.attribute)}</dt><dd>${r.significant} of ${r.unitsTested} units (tag <code>${esc(cs.attribute)}-sensitive</code>): q &lt; α = ${m.alpha} by a ${esc(m.test)} (${m.permutations} draws), and |Cohen's d| ≥ ${m.minEffect} (${r.significantBeforeFloor} passed q before that floor)</dd>
<dt>Drives a biased outcome</dt><dd>${outcome ? `${r.biasDrivers} units (tag <code>bias</code>): patching side b's value into side a at those positions moves ${esc(outcome.label)} toward side b by ≥ ${m.minShare} of the model's own gap (${num(outcome.gapMean)}, p ${num(outcome.gapP)} over ${outcome.pairs} equal-length pairs), verified by real patches (BH q &lt; ${m.alpha})` : esc(r.outcomeNote ?? 'not measured; nothing is tagged bias')}</dd>
<dt>Probe</dt><dd>lasso probe, held-out accuracy ${num(r.probe.testAccuracy)} with ${r.probe.features} units (split by pair)</dd>
<dt>Seed</dt><dd>${m.seed}</dd><dt>App version</dt><dd>${esc(m.appVersion)}</dd>
<dt>Created</dt><dd>${new Date(r.createdAt).toISOString()}</dd></dl>
<h2>Effect sizes</h2>
${r.findings.length > 0 ? effectChart(r.findings) : `<p>No unit differs between the two sides at the compared positions (q &lt; ${m.alpha} and |d| ≥ ${m.minEffect}).</p>`}
<h2>Findings</h2>
${findings}
</body></html>
`;
}
