// Which audit set a feature's audit tag (`bias`, `<attribute>-sensitive`): the newest logged audit
// finding of this SAE for this feature with that tag, so a tag on a feature page links to the
// audit behind it. Findings logged before #18 carry no tag name; their tag was always `bias`.

/** Tags an audit sets. */
export const isAuditTag = (tag: string): boolean => tag === 'bias' || tag.endsWith('-sensitive');

type LoggedRow = { citeId: string; kind: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> };

/** tag → cite id of the newest audit finding (experiments newest first) that set it on feature `idx`. */
export function auditTagSources(experiments: LoggedRow[], idx: number, tags: string[]): Map<string, string> {
  const wanted = tags.filter(isAuditTag);
  const out = new Map<string, string>();
  if (wanted.length === 0) return out;
  for (const e of experiments) {
    if (e.kind !== 'audit' || (e.outputs as { index?: unknown }).index !== idx || (e.inputs as { kind?: unknown }).kind !== 'audit-finding') continue;
    const outputs = e.outputs as { tag?: string | null; tagged?: boolean; unitKind?: string };
    const tag = outputs.tag !== undefined ? outputs.tag : outputs.tagged || outputs.unitKind === 'sae-feature' ? 'bias' : null;
    if (tag && wanted.includes(tag) && !out.has(tag)) out.set(tag, e.citeId);
  }
  return out;
}
