import { useState } from 'react';
import type { Watchlist } from '@shared/contract';
import { call } from '../api/client';
import { useCommand } from '../api/hooks';
import { useAction } from '../ui/forms';

const NEW = '__new__';

/**
 * Puts this feature on a watchlist (existing, or a new one by name) with the default threshold:
 * half its analysed max activation. The Watchlists view (Alt+8) edits thresholds and runs scans.
 */
export function WatchlistAdd({ saeId, idx }: { saeId: number; idx: number }) {
  const lists = useCommand('watchlist.list', {}, ['catalog.changed']);
  const [choice, setChoice] = useState('');
  const [newName, setNewName] = useState('');
  const [done, setDone] = useState<string>();
  const action = useAction();
  const all = lists.data ?? [];
  const picked = choice === '' ? (all[0] ? String(all[0].id) : NEW) : choice;
  const target: Watchlist | undefined = all.find((w) => String(w.id) === picked);
  const already = target?.entries.some((e) => e.saeId === saeId && e.idx === idx) ?? false;

  const add = async () => {
    setDone(undefined);
    const saved = await action.run(async () => {
      // The engine adds to the list as it stands: nothing read here is written back, so a concurrent edit is kept.
      if (target) return (await call('watchlist.addEntries', { watchlist: target.id, entries: [{ saeId, idx }] })).watchlist;
      // A new list: a name already taken is refused (beside the name), never merged into or replaced.
      return call('watchlist.save', { name: newName.trim(), entries: [{ saeId, idx }] });
    });
    if (saved) setDone(`on ${saved.name}`);
  };

  return (
    <div className="fp-watch" aria-label="Add to a watchlist">
      <select aria-label="Watchlist" value={picked} onChange={(e) => setChoice(e.target.value)}>
        {all.map((w) => (
          <option key={w.id} value={String(w.id)}>
            {w.name}
          </option>
        ))}
        <option value={NEW}>new watchlist…</option>
      </select>
      {picked === NEW ? <input aria-label="New watchlist name" placeholder="name" value={newName} onChange={(e) => setNewName(e.target.value)} size={12} /> : null}
      <button type="button" className="btn small" disabled={action.busy || already || (picked === NEW && newName.trim() === '')} onClick={() => void add()}>
        {already ? 'Watched' : 'Watch'}
      </button>
      {done ? <span className="ok-text">{done}</span> : null}
      {action.error ? (
        <span className="error-text" role="alert">
          {action.error.message}
        </span>
      ) : null}
    </div>
  );
}
