// A form whose action is a run: Enter in a field or Ctrl/⌘+Enter anywhere (also in a textarea) runs it.
import type { ReactNode } from 'react';

export function RunForm({ label, busy, onRun, className, children }: { label: string; busy: boolean; onRun: () => void; className?: string; children: ReactNode }) {
  return (
    <form
      className={className}
      aria-label={label}
      aria-busy={busy}
      onSubmit={(e) => {
        e.preventDefault();
        onRun();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          onRun();
        }
      }}
    >
      {children}
    </form>
  );
}
