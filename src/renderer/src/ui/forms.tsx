// Form plumbing shared by the Home, Playground and Experiment views: run a command, keep its
// error, and show that error beside the field the contract named (`error.field`).
import { cloneElement, isValidElement, useCallback, useEffect, useId, useRef, useState, type ReactElement, type ReactNode } from 'react';
import { CommandFailed } from '../api/client';

/** True when an error's field is this field or inside it ("corpus.path" is inside "corpus"). */
export function errorIsFor(error: CommandFailed | undefined, field: string): boolean {
  const f = error?.field;
  return f !== undefined && (f === field || f.startsWith(`${field}.`));
}

export interface Action {
  run: <T>(work: () => Promise<T>) => Promise<T | undefined>;
  error: CommandFailed | undefined;
  busy: boolean;
  clear: () => void;
}

/** One async action at a time, its failure kept as a CommandFailed for the fields to read. */
export function useAction(): Action {
  const [error, setError] = useState<CommandFailed>();
  const [busy, setBusy] = useState(false);
  const run = useCallback(async <T,>(work: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await work();
    } catch (err) {
      setError(err instanceof CommandFailed ? err : new CommandFailed({ code: 'internal', message: err instanceof Error ? err.message : String(err) }));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setError(undefined), []);
  return { run, error, busy, clear };
}

/**
 * A labelled control with the error of its field under it. The label points at the control by id
 * (not by wrapping it), so a select's accessible name is the label, not the label plus every option.
 * The error goes once the control's value changes: it was about the value the user has now fixed.
 */
export function Field({ label, field, error, children, wide }: { label: string; field: string; error: CommandFailed | undefined; children: ReactNode; wide?: boolean }) {
  const id = useId();
  const value = isValidElement(children) ? (children.props as { value?: unknown }).value : undefined;
  const changed = useChangedSince(error, value);
  const mine = errorIsFor(error, field) && !changed;
  const control = isValidElement(children) ? cloneElement(children as ReactElement<{ id?: string; 'aria-invalid'?: boolean }>, { id, 'aria-invalid': mine }) : children;
  return (
    <div className={`field${wide ? ' wide' : ''}`} data-field={field}>
      <label className="field-label" htmlFor={isValidElement(children) ? id : undefined}>
        {label}
      </label>
      {control}
      {mine ? (
        <span className="field-error" role="alert">
          {error!.message}
        </span>
      ) : null}
    </div>
  );
}

/** True once `value` differs from what it was when `error` arrived. */
function useChangedSince(error: CommandFailed | undefined, value: unknown): boolean {
  const at = useRef<{ error: CommandFailed | undefined; value: unknown }>({ error, value });
  if (at.current.error !== error) at.current = { error, value };
  return !Object.is(at.current.value, value);
}

/**
 * The error when no field of this form claims it (a whole-input or engine-side failure). It goes
 * once the user changes anything in the form: it was about the input they have changed.
 */
export function FormError({ error, fields }: { error: CommandFailed | undefined; fields: string[] }) {
  const el = useRef<HTMLParagraphElement>(null);
  const [changed, setChanged] = useState<CommandFailed>();
  const shown = error !== undefined && changed !== error && !fields.some((f) => errorIsFor(error, f));
  useEffect(() => {
    const form = el.current?.closest('form');
    if (!form || !error) return;
    const onInput = () => setChanged(error);
    form.addEventListener('input', onInput);
    form.addEventListener('change', onInput);
    return () => {
      form.removeEventListener('input', onInput);
      form.removeEventListener('change', onInput);
    };
  }, [error, shown]);
  if (!shown) return null;
  return (
    <p ref={el} className="error-text form-error" role="alert">
      {error.message}
    </p>
  );
}

/** A number typed in a text field: undefined when blank, NaN stays NaN so the contract names the field. */
export function numberOrUndefined(text: string): number | undefined {
  const t = text.trim();
  return t === '' ? undefined : Number(t);
}

/** A command whose only input is one field: an error without a field is about that field. */
export function claimError(error: CommandFailed | undefined, field: string): CommandFailed | undefined {
  if (!error || error.field !== undefined) return error;
  return new CommandFailed({ code: error.code, message: error.message, field });
}
