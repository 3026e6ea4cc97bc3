import { useState } from 'react';
import { call, CommandFailed } from '../api/client';
import { useNavigate } from '../app/navigation';
import { useAuditTagSources } from '../audit/auditTagSources';

/** The feature's tags: remove with ×, add by typing a name and Enter. */
export function TagsPanel({ saeId, idx, tags, onChanged }: { saeId: number; idx: number; tags: string[]; onChanged: () => void }) {
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string>();
  const sources = useAuditTagSources(saeId, idx, tags);
  const navigate = useNavigate();

  const run = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(undefined);
      onChanged();
      return true;
    } catch (err) {
      setError(err instanceof CommandFailed ? err.message : String(err));
      return false;
    }
  };

  return (
    <div className="fp-tags">
      {tags.length === 0 ? <span className="muted">no tags</span> : null}
      {tags.map((t) => (
        <span key={t} className="chip" data-tag={t}>
          {t}
          {sources.has(t) ? (
            <button type="button" className="link-button mono" data-testid="tag-source" title={`Set by the audit finding ${sources.get(t)}: open it in the Experiment log`} onClick={() => navigate({ to: 'experiment', citeId: sources.get(t)! })}>
              {sources.get(t)}
            </button>
          ) : null}
          <button className="chip-x" aria-label={`Remove tag ${t}`} onClick={() => void run(() => call('catalog.removeTag', { saeId, idx, tag: t }))}>
            ×
          </button>
        </span>
      ))}
      <form
        className="fp-tag-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.trim() === '') return;
          void run(() => call('catalog.addTag', { saeId, idx, tag: draft.trim() })).then((ok) => ok && setDraft(''));
        }}
      >
        <input
          aria-label="New tag"
          placeholder="add tag"
          value={draft}
          maxLength={64}
          aria-invalid={error !== undefined}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button className="btn small" type="submit">
          Add
        </button>
      </form>
      {error ? (
        <span className="error-text" role="alert">
          {error}
        </span>
      ) : null}
    </div>
  );
}
