import { useState } from 'react';
import { useNavigate } from '../app/navigation';

/** The experiment's cite id, a copy button, and a link that opens it in the Experiment log. */
export function CiteLine({ citeId }: { citeId: string }) {
  const [copied, setCopied] = useState(false);
  const navigate = useNavigate();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(citeId);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard refused (no permission, plain http): select the text for a manual copy.
      const el = document.querySelector(`[data-cite-id="${citeId}"]`);
      if (el) window.getSelection()?.selectAllChildren(el);
    }
  };
  return (
    <span className="cite-line">
      logged as{' '}
      <span className="mono strong" data-testid="cite-id" data-cite-id={citeId} >
        {citeId}
      </span>
      <button type="button" className="btn small" onClick={() => void copy()}>
        {copied ? 'Copied' : 'Copy'}
      </button>
      <button type="button" className="btn small" onClick={() => navigate({ to: 'experiment', citeId })} title="Show it in the Experiment log, where it can be replayed">
        Open in log
      </button>
    </span>
  );
}
