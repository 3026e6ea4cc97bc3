// The feature page's hook for auditTagMatch.ts: the SAE's logged experiments, matched to its tags.
import { useCommand } from '../api/hooks';
import { auditTagSources } from './auditTagMatch';

/** auditTagSources over the SAE's newest 500 experiments (an older audit's tag shows no link rather than a slow scan). */
export function useAuditTagSources(saeId: number, idx: number, tags: string[]): Map<string, string> {
  const log = useCommand('catalog.experiments', { saeId, limit: 500 }, ['catalog.changed']);
  return auditTagSources(log.data ?? [], idx, tags);
}
