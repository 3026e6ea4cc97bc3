// Task files: JSON Lines, a header line then one row per line.
//
//   {"task": "quote-type", "version": 1, "title": "Close a string with its own quote", "domain": "code"}
//   {"prompt": "name = 'apple", "target": "'", "alternative": "\"", "pairedPrompt": "name = \"apple"}
//
// The paired prompt differs from the prompt only in what the task is about, so its target is the
// row's alternative and its alternative the row's target. A bad line is named by file and line
// number with the rule it broke; a file's text is never quoted back, only the short token strings
// the rule is about.
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { TaskInfo } from '../../shared/contract/tasks';
import { FeaturescopeError } from '../../shared/errors';

const MAX_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_TASK_ROWS = 100_000;

const Header = z
  .object({
    task: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and - (1–63)'),
    version: z.number().int().positive(),
    title: z.string().max(300).default(''),
    domain: z.enum(['code', 'prose', 'other']).default('other'),
  })
  .strict();

const Row = z
  .object({
    prompt: z.string().min(1).max(4000),
    target: z.string().min(1).max(100),
    alternative: z.string().min(1).max(100),
    pairedPrompt: z.string().min(1).max(4000),
  })
  .strict()
  .refine((r) => r.target !== r.alternative, { message: 'target and alternative must differ', path: ['alternative'] })
  .refine((r) => r.prompt !== r.pairedPrompt, { message: 'the paired prompt must differ from the prompt', path: ['pairedPrompt'] });

export type TaskRow = z.infer<typeof Row>;

export interface TaskFile {
  info: TaskInfo;
  rows: Array<TaskRow & { line: number }>;
}

function problem(path: string, line: number, what: string): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${path}:${line}: ${what}`, 'tasks');
}

/** What a zod issue says, in the words of the field it is about. */
function issueText(issues: z.core.$ZodIssue[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid';
  const field = issue.path.join('.');
  if (issue.code === 'invalid_type' && issue.input === undefined) return `the field "${field}" is missing`;
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${field ? `"${field}": ` : ''}${issue.message}`;
}

export function readTaskFile(path: string): TaskFile {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new FeaturescopeError('not_found', `tasks: there is no task file ${path}`, 'tasks');
  }
  if (size > MAX_FILE_BYTES) throw new FeaturescopeError('bad_file', `${path}: larger than ${MAX_FILE_BYTES / 1024 / 1024} MB; a task file holds at most ${MAX_TASK_ROWS} rows`, 'tasks');
  const lines = readFileSync(path, 'utf8').split('\n');
  let header: z.infer<typeof Header> | undefined;
  const rows: TaskFile['rows'] = [];
  for (const [i, raw] of lines.entries()) {
    const text = raw.trim();
    if (text === '') continue;
    const n = i + 1;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw problem(path, n, 'not a JSON object on one line');
    }
    if (header === undefined) {
      const h = Header.safeParse(json);
      if (!h.success) throw problem(path, n, `the first line is the task's header {"task": name, "version": n, "title"?, "domain"?}: ${issueText(h.error.issues)}`);
      header = h.data;
      continue;
    }
    const r = Row.safeParse(json);
    if (!r.success) throw problem(path, n, `a row is {"prompt", "target", "alternative", "pairedPrompt"}: ${issueText(r.error.issues)}`);
    if (rows.length >= MAX_TASK_ROWS) throw problem(path, n, `more than ${MAX_TASK_ROWS} rows`);
    rows.push({ ...r.data, line: n });
  }
  if (header === undefined) throw new FeaturescopeError('bad_file', `${path}: empty; a task file starts with a header line {"task": name, "version": n}`, 'tasks');
  if (rows.length === 0) throw new FeaturescopeError('bad_file', `${path}: the task "${header.task}" has no rows`, 'tasks');
  return { info: { name: header.task, version: header.version, title: header.title, domain: header.domain, rows: rows.length, path }, rows };
}

/** The pieces of the model's tokenizer a task needs. */
export interface TaskTokenizer {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  readonly bosTokenId: number | null;
}

export interface TokenizedExample {
  /** The prompt as the model reads it (with the BOS its tokenizer adds, if any). */
  tokens: number[];
  target: number;
  alternative: number;
}

const show = (s: string) => JSON.stringify(s);

/**
 * Each row's prompt and paired prompt as token ids with their two answer tokens. An answer must
 * be exactly one token right after its prompt: prompt + answer must tokenize as the prompt's
 * tokens then one more (for SentencePiece models an answer encoded on its own gains a "▁", so it is
 * read in place). Otherwise the row is refused naming its line: the task would ask about a token
 * the model never sees there.
 */
export function tokenizeTask(file: TaskFile, tokenizer: TaskTokenizer): { prompts: TokenizedExample[]; paired: TokenizedExample[] } {
  const path = file.info.path;
  const plain = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
  const example = (line: number, field: string, prompt: string, target: string, alternative: string): TokenizedExample => {
    const tokens = plain(prompt);
    const answer = (which: string, text: string): number => {
      const joined = plain(prompt + text);
      const extra = joined.length - tokens.length;
      if (extra !== 1 || !tokens.every((t, k) => joined[k] === t)) {
        const how = extra >= 1 && tokens.every((t, k) => joined[k] === t) ? `is ${extra} tokens there` : 'merges with the end of the prompt';
        throw problem(path, line, `${which} ${show(text)} after the ${field} ${how} for this model; a task's target and alternative must each be one token after the prompt`);
      }
      return joined[tokens.length]!;
    };
    const t = answer('target', target);
    const a = answer('alternative', alternative);
    if (t === a) throw problem(path, line, `target ${show(target)} and alternative ${show(alternative)} are the same token for this model`);
    const withSpecial = tokenizer.encode(prompt);
    const bos = tokenizer.bosTokenId !== null && withSpecial[0] === tokenizer.bosTokenId && tokens[0] !== tokenizer.bosTokenId ? [tokenizer.bosTokenId] : [];
    return { tokens: [...bos, ...tokens], target: t, alternative: a };
  };
  const prompts: TokenizedExample[] = [];
  const paired: TokenizedExample[] = [];
  for (const r of file.rows) {
    prompts.push(example(r.line, 'prompt', r.prompt, r.target, r.alternative));
    paired.push(example(r.line, 'pairedPrompt', r.pairedPrompt, r.alternative, r.target));
  }
  return { prompts, paired };
}
