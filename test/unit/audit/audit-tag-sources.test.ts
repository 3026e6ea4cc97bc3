// A feature page's audit tags link to the audit finding that set them: the newest one for that
// feature and tag; findings logged before #18 (no tag name) set `bias`.
import { describe, expect, it } from 'vitest';
import { auditTagSources } from '../../../src/renderer/src/audit/auditTagMatch';

const finding = (citeId: string, index: number, outputs: Record<string, unknown>) => ({ citeId, kind: 'audit', inputs: { kind: 'audit-finding' }, outputs: { index, unitKind: 'sae-feature', ...outputs } });

describe('audit tag sources', () => {
  it('links each audit tag to the newest finding that set it on this feature', () => {
    const log = [
      finding('exp-000009', 5, { tag: 'gender-sensitive' }),
      finding('exp-000008', 6, { tag: 'bias' }),
      finding('exp-000007', 5, { tag: 'bias' }),
      finding('exp-000004', 5, { tag: 'bias' }),
      { citeId: 'exp-000003', kind: 'probe', inputs: {}, outputs: { index: 5 } },
      finding('exp-000002', 5, { tagged: true }), // before #18: no tag name
    ];
    expect([...auditTagSources(log, 5, ['bias', 'gender-sensitive', 'mine'])]).toEqual([
      ['gender-sensitive', 'exp-000009'],
      ['bias', 'exp-000007'],
    ]);
    expect([...auditTagSources(log.slice(5), 5, ['bias'])]).toEqual([['bias', 'exp-000002']]);
    expect(auditTagSources(log, 5, ['mine']).size).toBe(0);
    expect(auditTagSources(log, 11, ['bias']).size).toBe(0);
  });
});
