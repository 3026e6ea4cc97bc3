import { useState } from 'react';
import { call, CommandFailed } from '../api/client';
import type { FeatureNote } from './types';

function formatWhen(ms: number): string {
  return new Date(ms).toLocaleString([], { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Notes on the feature, oldest first, each with its time; a box below adds one (Ctrl+Enter). */
export function NotesPanel({ saeId, idx, notes, onChanged }: { saeId: number; idx: number; notes: FeatureNote[]; onChanged: () => void }) {
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);

  const add = async () => {
    if (draft.trim() === '') return;
    setSaving(true);
    try {
      await call('catalog.addNote', { saeId, idx, text: draft });
      setDraft('');
      setError(undefined);
      onChanged();
    } catch (err) {
      setError(err instanceof CommandFailed ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="fp-notes">
      {notes.length === 0 ? <p className="muted">No notes yet.</p> : null}
      <ol className="fp-note-list">
        {notes.map((n) => (
          <li key={n.id} data-note-id={n.id}>
            <time className="muted" dateTime={new Date(n.createdAt).toISOString()}>
              {formatWhen(n.createdAt)}
            </time>
            <div className="fp-note-text">{n.text}</div>
          </li>
        ))}
      </ol>
      <form
        className="fp-note-form"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <textarea
          aria-label="New note"
          placeholder="Write a note (Ctrl+Enter adds it)"
          rows={2}
          value={draft}
          aria-invalid={error !== undefined}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              void add();
            }
          }}
        />
        <button className="btn small" type="submit" disabled={saving || draft.trim() === ''}>
          Add note
        </button>
        {error ? (
          <span className="error-text" role="alert">
            {error}
          </span>
        ) : null}
      </form>
    </div>
  );
}
