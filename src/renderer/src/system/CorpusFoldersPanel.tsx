import { useState } from 'react';
import { call } from '../api/client';
import { useCommand } from '../api/hooks';
import { useAction } from '../ui/forms';

/**
 * The workspace's corpus folders: the app reads corpora (capture, analyse, evaluate, scan) only from
 * inside these. The command line reads any path it is given.
 */
export function CorpusFoldersPanel() {
  const folders = useCommand('workspace.corpusFolders', {}, ['catalog.changed']);
  const [path, setPath] = useState('');
  const action = useAction();
  const add = async () => {
    const r = await action.run(() => call('workspace.addCorpusFolder', { path: path.trim() }));
    if (r) {
      setPath('');
      folders.reload();
    }
  };
  const remove = async (folder: string) => {
    if (await action.run(() => call('workspace.removeCorpusFolder', { path: folder }))) folders.reload();
  };
  return (
    <section className="panel" aria-label="Corpus folders">
      <header className="panel-head">
        <h3>Corpus folders</h3>
      </header>
      <p className="muted">The app reads corpora only from these folders and their sub-folders; add the folder that holds your text.</p>
      {folders.error ? <p className="error-text">{folders.error.message}</p> : null}
      {folders.data && folders.data.length === 0 ? <p className="muted" data-testid="corpus-folders-empty">No folder yet.</p> : null}
      <ul className="plain-list" aria-label="Corpus folder list">
        {(folders.data ?? []).map((f) => (
          <li key={f.path} data-corpus-folder={f.path}>
            <span className="mono">{f.path}</span>{' '}
            <button className="btn small" type="button" onClick={() => void remove(f.path)} aria-label={`Remove ${f.path}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="inline-form"
        aria-label="Add a corpus folder"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <label>
          Folder (absolute)
          <input name="corpus-folder" className="grow" placeholder="/path/to/corpora" value={path} onChange={(e) => setPath(e.target.value)} aria-invalid={action.error !== undefined} />
        </label>
        <button className="btn primary" type="submit" disabled={action.busy}>
          Add folder
        </button>
        {action.error ? (
          <p className="error-text" role="alert">
            {action.error.message}
          </p>
        ) : null}
      </form>
    </section>
  );
}
