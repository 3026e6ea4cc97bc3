// Contrast sets: pairs of prompts that differ only in a protected attribute (side a vs side b),
// with an optional next-token metric tied to that attribute. Built-in sets ship as JSON under
// resources/contrast-sets/; a user's set is a JSON file of the same shape.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FeaturescopeError } from '../../shared/errors';
import { jsonSyntaxProblem } from '../formats/jsonProblem';

const TokenRef = z.union([z.string().min(1), z.number().int().nonnegative()]);

export const ContrastSet = z
  .object({
    id: z.string().min(1).max(100),
    title: z.string().max(500).default(''),
    sideA: z.string().min(1).max(100),
    sideB: z.string().min(1).max(100),
    /** Version of the set's content: a report names it, so a changed set is told apart. */
    version: z.number().int().positive().default(1),
    /** What the sides differ in, e.g. "gender": features that encode it are tagged `<attribute>-sensitive`. */
    attribute: z.string().regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and - (1–40)').optional(),
    /**
     * The downstream contrast a biased prediction moves: logit(tokenA) − logit(tokenB) after each
     * prompt (e.g. " nurse" against " engineer"). Units that encode the attribute and move it are
     * tagged `bias`.
     */
    outcome: z.object({ tokenA: TokenRef, tokenB: TokenRef, label: z.string().max(200).optional() }).strict().optional(),
    /** Sets before version 2: logit(tokenA) − logit(tokenB), used as the outcome when `outcome` is absent. */
    metric: z.object({ tokenA: TokenRef, tokenB: TokenRef }).strict().optional(),
    pairs: z
      .array(z.object({ a: z.string().min(1).max(2000), b: z.string().min(1).max(2000), group: z.string().max(100).optional() }).strict())
      .min(3)
      .max(5000),
  })
  .strict();
export type ContrastSet = z.infer<typeof ContrastSet>;

/** `ref` is a built-in id (a file name under builtInDir without .json) or a path to a JSON file. */
export function loadContrastSet(ref: string, builtInDir: string): ContrastSet {
  const builtIn = /^[a-z0-9-]+$/.test(ref) ? join(builtInDir, `${ref}.json`) : null;
  const path = builtIn !== null && existsSync(builtIn) ? builtIn : ref;
  if (!existsSync(path)) {
    const known = existsSync(builtInDir) ? readdirSync(builtInDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
    throw new FeaturescopeError('not_found', `contrastSet: "${ref}" is neither a built-in set (${known.join(', ') || 'none installed'}) nor a file.`, 'contrastSet');
  }
  let json: unknown;
  const text = readFileSync(path, 'utf8');
  try {
    json = JSON.parse(text);
  } catch {
    throw new FeaturescopeError('bad_file', `${path}: ${jsonSyntaxProblem(text)}.`, 'contrastSet');
  }
  const parsed = ContrastSet.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeaturescopeError('bad_file', `${path}: ${issue?.path.join('.') || 'the set'}: ${issue?.message ?? 'invalid'} (a contrast set is {id, sideA, sideB, version?, attribute?, outcome?, pairs: [{a, b}]}).`, 'contrastSet');
  }
  return parsed.data;
}

/** The attribute a set's sides differ in (its tag `<attribute>-sensitive`): declared, else the set id. */
export const setAttribute = (set: ContrastSet): string => set.attribute ?? set.id.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40);

/** The outcome contrast: `outcome`, or a pre-version-2 set's `metric`. */
export const setOutcome = (set: ContrastSet): { tokenA: string | number; tokenB: string | number; label: string } | null => {
  const o = set.outcome ?? set.metric;
  if (!o) return null;
  const label = set.outcome?.label ?? `logit(${JSON.stringify(o.tokenA)}) − logit(${JSON.stringify(o.tokenB)})`;
  return { tokenA: o.tokenA, tokenB: o.tokenB, label };
};
