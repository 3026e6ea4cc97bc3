// docs/protocol.md is generated from the contract: this fails when a command, field, rule or event
// changed and the document was not regenerated (`npm run docs:protocol`).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_DOC, protocolDoc } from '../../../scripts/protocol-doc/generate';
import { fieldTable, typeBlock } from '../../../scripts/protocol-doc/render-schema';
import { commandNames, events } from '../../../src/shared/contract';

describe('docs/protocol.md', () => {
  it('is what the contract generates (run `npm run docs:protocol` after changing the contract)', () => {
    const committed = readFileSync(PROTOCOL_DOC, 'utf8');
    // One line of difference is easier to act on than a 2,000-line diff.
    const want = protocolDoc().split('\n');
    const have = committed.split('\n');
    const first = want.findIndex((line, i) => line !== have[i]);
    expect(first === -1 && want.length === have.length ? 'up to date' : `differs from line ${first + 1}: ${JSON.stringify(have[first])} should be ${JSON.stringify(want[first])}`).toBe('up to date');
  });

  it('has a section for every command and event of the contract', () => {
    const doc = protocolDoc();
    for (const name of commandNames) expect(doc).toContain(`### \`${name}\``);
    for (const name of Object.keys(events)) expect(doc).toContain(`### \`${name}\``);
  });
});

describe('schema rendering', () => {
  it('states bounds, defaults, descriptions and nested paths as an error field names them', () => {
    const schema = z
      .object({
        n: z.number().int().min(1).max(9).default(3).describe('How many'),
        name: z.string().min(1),
        inner: z.object({ p: z.number().gt(0).max(1) }).strict().optional(),
        list: z.array(z.object({ k: z.enum(['a', 'b']) })).max(4),
        form: z.union([z.object({ x: z.string() }), z.object({ y: z.boolean() })]),
      })
      .strict();
    const table = fieldTable(z.toJSONSchema(schema, { io: 'input' }) as never);
    expect(table).toContain('| `n` | integer | no (default `3`) | 1 … 9 | How many |');
    expect(table).toContain('| `name` | string | yes | not empty |  |');
    expect(table).toContain('| `inner.p` | number | yes | > 0, ≤ 1 |  |');
    expect(table).toContain('| `list[].k` | "a" \\| "b" | yes |  |  |');
    expect(table).toContain('| `form` | one of 2 forms | yes |  |  |');
    expect(table).toContain('| `form.y` | boolean | yes |  | form 2 |');
  });

  it('writes outputs as types, with nullable objects and short flat objects on one line', () => {
    const out = z.object({ a: z.array(z.object({ id: z.number(), t: z.string() })), b: z.object({ c: z.object({ d: z.number() }) }).nullable() });
    expect(typeBlock(z.toJSONSchema(out, { io: 'output' }) as never)).toBe(
      ['{', '  a: Array<{ id: number, t: string }>', '  b: {', '    c: { d: number }', '  } | null', '}'].join('\n'),
    );
  });
});
