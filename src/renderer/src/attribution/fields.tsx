// Form pieces both attribution forms use: model, site (neurons or an SAE's features), metric,
// and the busy bar and cite line around a run.
import { useState } from 'react';
import type { ModelInfo, SaeSummary } from '@shared/contract';
import type { CommandFailed } from '../api/client';
import { Field } from '../ui/forms';
import type { MetricDraft, MetricKind, SiteDraft } from './inputs';

export function ModelField({ models, value, onChange, error, name }: { models: ModelInfo[]; value: string; onChange: (path: string) => void; error: CommandFailed | undefined; name: string }) {
  return (
    <Field label="Model" field="model" error={error}>
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        {models.map((m) => (
          <option key={m.path} value={m.path}>
            {m.name} · {m.nLayers}L d{m.dModel}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** "MLP neurons" with an optional layer list, or one SAE's features (only SAEs read by this model's hooks). */
export function SiteFields({ site, onChange, model, saes, error, name }: { site: SiteDraft; onChange: (s: SiteDraft) => void; model: ModelInfo | undefined; saes: SaeSummary[]; error: CommandFailed | undefined; name: string }) {
  const usable = saes.filter((s) => model === undefined || model.hookNames.includes(s.hookName));
  return (
    <>
      <Field label="Units" field="site" error={error?.field?.startsWith('site.layers') ? undefined : error}>
        <select
          name={`${name}-site`}
          value={site.kind === 'sae' ? String(site.saeId) : 'neurons'}
          onChange={(e) => onChange(e.target.value === 'neurons' ? { kind: 'neurons', layers: '' } : { kind: 'sae', saeId: Number(e.target.value) })}
        >
          <option value="neurons">MLP neurons (blocks.L.mlp.hook_post)</option>
          {usable.map((s) => (
            <option key={s.id} value={s.id}>
              SAE features · {s.name} · {s.hookName} · {s.dSae}
            </option>
          ))}
        </select>
      </Field>
      {site.kind === 'neurons' ? (
        <Field label="Layers (blank = all)" field="site.layers" error={error}>
          <input
            name={`${name}-layers`}
            className="at-layers"
            value={site.layers}
            placeholder={model ? (model.nLayers > 1 ? `0-${model.nLayers - 1}` : '0') : ''}
            onChange={(e) => onChange({ kind: 'neurons', layers: e.target.value })}
          />
        </Field>
      ) : null}
    </>
  );
}

/** log p of one token, or the logit difference A − B; `optional` adds "none" (the patch form). */
export function MetricFields({ metric, onChange, error, optional, name }: { metric: MetricDraft | null; onChange: (m: MetricDraft | null) => void; error: CommandFailed | undefined; optional?: boolean; name: string }) {
  const [last, setLast] = useState<MetricDraft>(metric ?? { kind: 'logprob', token: '', tokenA: '', tokenB: '' });
  const set = (m: MetricDraft) => {
    setLast(m);
    onChange(m);
  };
  const hint = 'The exact token text (a leading space counts: " the"), or #id';
  return (
    <>
      {/* Only errors about the whole metric here; a token's error sits under that token. */}
      <Field label="Metric" field="metric" error={error?.field === 'metric' ? error : undefined}>
        <select name={`${name}-metric`} value={metric?.kind ?? 'none'} onChange={(e) => (e.target.value === 'none' ? onChange(null) : set({ ...last, kind: e.target.value as MetricKind }))}>
          {optional ? <option value="none">none</option> : null}
          <option value="logprob">log p(token)</option>
          <option value="logit-diff">logit diff A − B</option>
        </select>
      </Field>
      {metric?.kind === 'logprob' ? (
        <Field label="Token" field="metric.token" error={error}>
          <input name={`${name}-token`} className="at-token" value={metric.token} title={hint} placeholder='" the"' onChange={(e) => set({ ...metric, token: e.target.value })} />
        </Field>
      ) : null}
      {metric?.kind === 'logit-diff' ? (
        <>
          <Field label="Token A" field="metric.tokenA" error={error}>
            <input name={`${name}-token-a`} className="at-token" value={metric.tokenA} title={hint} onChange={(e) => set({ ...metric, tokenA: e.target.value })} />
          </Field>
          <Field label="Token B" field="metric.tokenB" error={error}>
            <input name={`${name}-token-b`} className="at-token" value={metric.tokenB} title={hint} onChange={(e) => set({ ...metric, tokenB: e.target.value })} />
          </Field>
        </>
      ) : null}
    </>
  );
}

/** Commands report no progress: an indeterminate bar says the engine is at work. */
export function BusyBar({ label }: { label: string }) {
  return (
    <div className="at-busy" role="progressbar" aria-label={label} aria-busy="true" data-testid="busy">
      <div className="at-busy-fill" />
    </div>
  );
}

