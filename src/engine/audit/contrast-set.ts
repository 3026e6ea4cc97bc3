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
    /** logit(tokenA) − logit(tokenB) after each prompt: how strongly the model's next token follows side a. */
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
    throw new FeaturescopeError('bad_file', `${path}: ${issue?.path.join('.') || 'the set'}: ${issue?.message ?? 'invalid'} (a contrast set is {id, sideA, sideB, metric?, pairs: [{a, b}]}).`, 'contrastSet');
  }
  return parsed.data;
}
