import { useState } from 'react';
import { call, CommandFailed } from '../api/client';

interface Props {
  saeId: number;
  idx: number;
  label: string | null;
  onSaved: () => void;
}

/** The user's label, edited in place: Enter or Save stores it (empty clears it), Esc cancels. */
export function LabelEditor({ saeId, idx, label, onSaved }: Props) {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);

  const save = async () => {
    if (draft === null) return;
    setSaving(true);
    try {
      const text = draft.trim();
      await call('catalog.setLabel', { saeId, idx, label: text === '' ? null : text });
      setDraft(null);
      setError(undefined);
      onSaved();
    } catch (err) {
      setError(err instanceof CommandFailed ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  if (draft === null) {
    return (
      <div className="fp-label">
        <button className="fp-label-text" onClick={() => setDraft(label ?? '')} title="Edit the label" data-testid="user-label">
          {label ?? <span className="muted">Add a label…</span>}
        </button>
        <button className="btn small" onClick={() => setDraft(label ?? '')}>
          Edit label
        </button>
      </div>
    );
  }
  return (
    <form
      className="fp-label"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <input
        className="fp-label-input"
        aria-label="Label"
        autoFocus
        maxLength={400}
        value={draft}
        placeholder="What this feature responds to (empty clears)"
        aria-invalid={error !== undefined}
        aria-describedby={error ? 'fp-label-error' : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            setDraft(null);
            setError(undefined);
          }
        }}
      />
      <button className="btn small primary" type="submit" disabled={saving}>
        Save
      </button>
      <button className="btn small" type="button" onClick={() => (setDraft(null), setError(undefined))}>
        Cancel
      </button>
      {error ? (
        <span id="fp-label-error" className="error-text" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  );
}
