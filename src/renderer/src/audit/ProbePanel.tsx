import { useEffect, useMemo, useState } from 'react';
import type { CommandInput, ModelInfo, SaeSummary } from '@shared/contract';
import { CommandFailed } from '../api/client';
import { BusyBar, ModelField } from '../attribution/fields';
import { Field, FormError, numberOrUndefined } from '../ui/forms';
import { examplesProblem, parseExampleLines } from './examples';
import { ProbeResult } from './ProbeResult';
import { RunForm } from '../ui/RunForm';
import { useTimedRun, type TimedRun } from '../ui/useTimedRun';

type Pooling = CommandInput<'probe.train'>['pooling'];
export interface ShownProbe extends TimedRun<'probe.train'> {
  sae: SaeSummary | null;
}

const FIELDS = ['model', 'hook', 'sae', 'pooling', 'name', 'examples', 'targetAccuracy', 'testFraction', 'seed'];
const SAMPLE = ['1\tShe said that she would come.', '0\tHe said that he would come.'].join('\n');

/** probe.train: which few units tell two labelled sets of prompts apart? */
export function ProbePanel({ models, saes, model, onModel, hidden }: { models: ModelInfo[]; saes: SaeSummary[]; model: ModelInfo | undefined; onModel: (path: string) => void; hidden: boolean }) {
  const [saeId, setSaeId] = useState<number | null>(null);
  const [hook, setHook] = useState('');
  const [pooling, setPooling] = useState<Pooling>('mean');
  const [name, setName] = useState('probe-1');
  const [source, setSource] = useState<'paste' | 'file'>('paste');
  const [lines, setLines] = useState('');
  const [path, setPath] = useState('');
  const [target, setTarget] = useState('0.9');
  const { action, shown: ran, run } = useTimedRun('probe.train');
  // The SAE whose features the shown probe used (by its id, as the list may change meanwhile).
  const shown: ShownProbe | undefined = ran && { ...ran, sae: saes.find((s) => s.id === ran.input.sae) ?? null };

  const usableSaes = saes.filter((s) => model === undefined || model.hookNames.includes(s.hookName));
  const sae = usableSaes.find((s) => s.id === saeId) ?? null;
  useEffect(() => {
    if (model && !model.hookNames.includes(hook)) setHook(model.hookNames.find((h) => h.endsWith('mlp.hook_post')) ?? model.hookNames[0] ?? '');
  }, [model, hook]);
  const parsed = useMemo(() => parseExampleLines(lines), [lines]);

  const execute = async () => {
    if (!model) return;
    await run(() => {
      let examples: CommandInput<'probe.train'>['examples'];
      if (source === 'file') {
        examples = path.trim();
      } else {
        const problem = examplesProblem(parsed);
        if (problem) throw new CommandFailed({ code: 'invalid_input', message: `examples: ${problem}`, field: 'examples' });
        examples = parsed.examples;
      }
      return {
        model: model.path,
        name: name.trim(),
        hook: sae ? sae.hookName : hook,
        ...(sae ? { sae: sae.id } : {}),
        pooling,
        examples,
        targetAccuracy: numberOrUndefined(target),
      };
    });
  };


  const lineCount = parsed.examples.length + parsed.errors.length;
  return (
    <div className="at-panel" hidden={hidden}>
      <RunForm className="panel at-form" label="Train a probe" busy={action.busy} onRun={() => void execute()}>
        <div className="at-row">
          <ModelField name="pa-probe-model" models={models} value={model?.path ?? ''} onChange={onModel} error={action.error} />
          <Field label="Units" field="sae" error={action.error}>
            <select name="pa-probe-units" value={sae ? String(sae.id) : 'hook'} onChange={(e) => setSaeId(e.target.value === 'hook' ? null : Number(e.target.value))}>
              <option value="hook">activations at a hook</option>
              {usableSaes.map((s) => (
                <option key={s.id} value={s.id}>
                  SAE features · {s.name} · {s.hookName} · {s.dSae}
                </option>
              ))}
            </select>
          </Field>
          {sae ? null : (
            <Field label="Hook" field="hook" error={action.error}>
              <select name="pa-probe-hook" value={hook} onChange={(e) => setHook(e.target.value)}>
                {(model?.hookNames ?? []).map((h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
              </select>
            </Field>
          )}
          <Field label="Pooling" field="pooling" error={action.error}>
            <select name="pa-probe-pooling" value={pooling} onChange={(e) => setPooling(e.target.value as Pooling)}>
              <option value="mean">mean over tokens</option>
              <option value="last">last token</option>
            </select>
          </Field>
          <Field label="Name" field="name" error={action.error}>
            <input name="pa-probe-name" className="pa-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={action.error?.field === 'name'} title="Names the experiment and the probe:<name> tag" />
          </Field>
        </div>
        <div className="pa-source" role="radiogroup" aria-label="Examples from">
          <span className="field-label">Examples</span>
          <label className="at-check">
            <input type="radio" name="pa-probe-source" checked={source === 'paste'} onChange={() => setSource('paste')} />
            pasted lines
          </label>
          <label className="at-check">
            <input type="radio" name="pa-probe-source" checked={source === 'file'} onChange={() => setSource('file')} />
            .jsonl file
          </label>
        </div>
        {source === 'paste' ? (
          <Field label="Lines: label (0 or 1), a tab, the prompt" field="examples" error={action.error} wide>
            <textarea
              name="pa-probe-lines"
              className="pa-lines"
              rows={8}
              value={lines}
              placeholder={SAMPLE}
              spellCheck={false}
              onChange={(e) => setLines(e.target.value)}
              aria-invalid={parsed.errors.length > 0 || action.error?.field === 'examples'}
              aria-describedby="pa-lines-status"
            />
          </Field>
        ) : (
          <Field label={'Examples file (.jsonl: one {"text": …, "label": 0 or 1} per line)'} field="examples" error={action.error} wide>
            <input name="pa-probe-path" className="grow" value={path} placeholder="/path/to/examples.jsonl" onChange={(e) => setPath(e.target.value)} aria-invalid={action.error?.field === 'examples'} />
          </Field>
        )}
        {source === 'paste' ? (
          <div id="pa-lines-status" className="pa-lines-status" data-testid="lines-status">
            {lineCount === 0 ? (
              <span className="muted">Paste two columns from a spreadsheet, or type a label, a space and the prompt; spaces stand in for the tab.</span>
            ) : (
              <span className="muted">
                {parsed.examples.length} prompts · label 0: {parsed.counts[0]} · label 1: {parsed.counts[1]}
              </span>
            )}
            {parsed.errors.length > 0 ? (
              <ul className="pa-line-errors" aria-label="Lines that cannot be read">
                {parsed.errors.slice(0, 8).map((e) => (
                  <li key={e} className="error-text">
                    {e}
                  </li>
                ))}
                {parsed.errors.length > 8 ? <li className="error-text">…and {parsed.errors.length - 8} more</li> : null}
              </ul>
            ) : null}
          </div>
        ) : null}
        <div className="at-row">
          <Field label="Target accuracy" field="targetAccuracy" error={action.error}>
            <input name="pa-probe-target" className="at-num" inputMode="decimal" value={target} onChange={(e) => setTarget(e.target.value)} aria-invalid={action.error?.field === 'targetAccuracy'} />
          </Field>
          <span className="muted at-hint pa-hint">
            A quarter of each label is held out; the lasso path runs from no units to many, and the smallest set whose held-out accuracy reaches the target is kept{sae ? `, its features tagged probe:${name.trim() || '…'}` : ''}.
          </span>
          {action.busy ? <BusyBar label="Training the probe" /> : null}
          <button className="btn primary" type="submit" disabled={!model || action.busy} title="Ctrl+Enter">
            {action.busy ? 'Training…' : 'Train probe'}
          </button>
        </div>
        <FormError error={action.error} fields={FIELDS} />
      </RunForm>
      {shown ? (
        <section className="panel" aria-label="Probe result">
          <ProbeResult shown={shown} />
        </section>
      ) : (
        <div className="empty at-empty">
          <h2>Which few units tell two sets of prompts apart?</h2>
          <p>A sparse probe is an L1-penalised logistic regression over the units at a hook (or an SAE’s features), one row per prompt. Its regularisation path shows how accuracy grows with the number of units it may use. Ctrl+Enter trains.</p>
        </div>
      )}
    </div>
  );
}
