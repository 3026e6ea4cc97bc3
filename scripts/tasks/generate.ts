// Writes the built-in task suite, resources/tasks/<task>.jsonl: binary next-token tasks in the
// shape of Gao et al. 2025 ("Weight-sparse transformers have interpretable circuits") — a prompt,
// the token that should come next, the token that would come next if the model missed the point,
// and a paired prompt that differs only in that point (so its answers are the row's swapped).
// Six tasks on Python code and two on prose, 64 rows each, from templates filled by a seeded
// generator: the same seed writes the same files byte for byte (a test checks the committed ones).
//
// Every row is checked against the bundled model's tokenizer with the app's own rule (each answer
// is exactly one token right after its prompt); a template that breaks it is a bug here, so the
// script stops rather than write a task the bundled models cannot be scored on.
//
//   npx tsx scripts/tasks/generate.ts [--check]     (--check: compare with the files, write nothing)
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ModelTokenizer } from '../../src/engine/model/tokenizer';
import { SeededRandom } from '../../src/engine/random';
import { readTaskFile, tokenizeTask } from '../../src/engine/tasks/task-file';

const ROOT = resolve(__dirname, '../..');
const OUT = join(ROOT, 'resources/tasks');
const TOKENIZER = join(ROOT, 'resources/models/featurescope-tiny');
const ROWS = 64;
const VERSION = 1;
const SEED = 20251204;

interface Row {
  prompt: string;
  target: string;
  alternative: string;
  pairedPrompt: string;
}
interface Task {
  task: string;
  title: string;
  domain: 'code' | 'prose';
  row(r: Pick<SeededRandom, 'next'>): Row;
}

const pick = <T>(r: Pick<SeededRandom, 'next'>, xs: readonly T[]): T => xs[Math.floor(r.next() * xs.length)]!;

const VARS = ['name', 'path', 'value', 'result', 'key', 'line', 'text', 'label', 'prefix', 'msg', 'data', 'item', 'word', 'mode', 'title'];
const WORDS = ['hello', 'world', 'error', 'data', 'value', 'name', 'file', 'test', 'spam', 'eggs', 'default', 'utf', 'ascii', 'config', 'output', 'input'];
const ARGS = ['a', 'b', 'x', 'y', 'n', 'i', 'key', 'value', 'self', 'obj', 'item', 'data'];
const FUNCS = ['len', 'str', 'int', 'list', 'sorted', 'print', 'repr', 'abs', 'max', 'min', 'sum', 'tuple'];
const CONTAINERS = ['items', 'names', 'seen', 'result', 'values', 'keys', 'done', 'parts', 'lines', 'found'];
const CONDITIONS = ['if x', 'if not data', 'for item in items', 'while n > 0', 'if key in seen', 'for i in range(n)', 'if value is None', 'try', 'else', 'with open(path) as f'];
const STATEMENTS = ['y = x + 1', 'n -= 1', 'seen.add(key)', 'result = None', 'count += 1', 'value = data[0]', 'print(value)', 'i = 0', 'data = []', 'pass'];
const FEMALE = ['Emma', 'Elizabeth', 'Jane', 'Anne', 'Marianne', 'Catherine', 'Fanny', 'Harriet', 'Lucy', 'Mary', 'Charlotte', 'Isabella'];
const MALE = ['Edward', 'Frank', 'Henry', 'Edmund', 'George', 'John', 'William', 'Charles', 'Robert', 'Thomas', 'James', 'Richard'];
const VERBS_PAST = ['walked into the room', 'came home', 'sat down by the fire', 'read the letter', 'looked out of the window', 'returned from town', 'stood at the door', 'heard the news'];
const CONTINUATIONS = ['After a moment', 'Then', 'At last', 'For a while', 'Soon after', 'In the evening'];
const NOUNS = ['sister', 'daughter', 'friend', 'lady', 'letter', 'house', 'carriage', 'servant', 'cousin', 'visitor', 'neighbour', 'brother'];
const ADJECTIVES = ['young', 'eldest', 'other', 'new', 'old', 'second', 'little'];
const PLACES = ['at Longbourn', 'in the village', 'of the family', 'from London', 'at the park', 'near the church'];

const TASKS: Task[] = [
  {
    task: 'quote-type',
    title: 'Close a string with the quote that opened it',
    domain: 'code',
    row(r) {
      const v = pick(r, VARS);
      const w = pick(r, WORDS);
      return { prompt: `${v} = '${w}`, target: "'", alternative: '"', pairedPrompt: `${v} = "${w}` };
    },
  },
  {
    task: 'bracket-type',
    title: 'Close a list with ] and a tuple with )',
    domain: 'code',
    row(r) {
      const v = pick(r, VARS);
      const a = pick(r, ARGS);
      const b = pick(r, ARGS);
      return { prompt: `${v} = [${a}, ${b}`, target: ']', alternative: ')', pairedPrompt: `${v} = (${a}, ${b}` };
    },
  },
  {
    task: 'bracket-depth',
    title: 'Close every open parenthesis: )) at depth two, ) at depth one',
    domain: 'code',
    row(r) {
      const v = pick(r, VARS);
      const f = pick(r, FUNCS);
      const g = pick(r, FUNCS);
      const x = pick(r, ARGS);
      return { prompt: `${v} = ${f}(${g}(${x}`, target: '))', alternative: ')', pairedPrompt: `${v} = ${f}(${g}, ${x}` };
    },
  },
  {
    task: 'brace-type',
    title: 'Close a dict with } and a list with ]',
    domain: 'code',
    row(r) {
      const v = pick(r, VARS);
      const k = pick(r, WORDS);
      const n = Math.floor(r.next() * 10);
      return { prompt: `${v} = {'${k}': ${n}`, target: '}', alternative: ']', pairedPrompt: `${v} = ['${k}', ${n}` };
    },
  },
  {
    task: 'indent-after-colon',
    title: 'Indent one level deeper after a line that ends with a colon',
    domain: 'code',
    row(r) {
      const f = pick(r, FUNCS.map((x) => `${x}_all`));
      const a = pick(r, ARGS);
      const c = pick(r, CONDITIONS);
      const s = pick(r, STATEMENTS);
      // The bundled tokenizer reads "\n" plus n spaces before a word as one token of n − 1 spaces (the word takes the last).
      return { prompt: `def ${f}(${a}):\n    ${c}:`, target: '\n       ', alternative: '\n   ', pairedPrompt: `def ${f}(${a}):\n    ${s}` };
    },
  },
  {
    task: 'append-or-add',
    title: 'A list grows with .append, a set with .add',
    domain: 'code',
    row(r) {
      const c = pick(r, CONTAINERS);
      const x = pick(r, ARGS);
      return { prompt: `${c} = []\nfor ${x} in data:\n    ${c}.`, target: 'append', alternative: 'add', pairedPrompt: `${c} = set()\nfor ${x} in data:\n    ${c}.` };
    },
  },
  {
    task: 'pronoun-agreement',
    title: 'Refer back to a named person with she or he',
    domain: 'prose',
    row(r) {
      const i = Math.floor(r.next() * FEMALE.length);
      const v = pick(r, VERBS_PAST);
      const c = pick(r, CONTINUATIONS);
      return { prompt: `${FEMALE[i]} ${v}. ${c}`, target: ' she', alternative: ' he', pairedPrompt: `${MALE[i]} ${v}. ${c}` };
    },
  },
  {
    task: 'verb-number',
    title: 'A plural subject takes were, a singular one was',
    domain: 'prose',
    row(r) {
      const a = pick(r, ADJECTIVES);
      const n = pick(r, NOUNS);
      const p = pick(r, PLACES);
      return { prompt: `The ${a} ${n}s ${p}`, target: ' were', alternative: ' was', pairedPrompt: `The ${a} ${n} ${p}` };
    },
  },
];

function taskText(t: Task): string {
  const r = new SeededRandom(SEED + TASKS.indexOf(t));
  const seen = new Set<string>();
  const rows: Row[] = [];
  // Distinct prompts only; the templates have far more combinations than ROWS.
  for (let tries = 0; rows.length < ROWS && tries < ROWS * 50; tries++) {
    const row = t.row(r);
    if (seen.has(row.prompt)) continue;
    seen.add(row.prompt);
    rows.push(row);
  }
  if (rows.length < ROWS) throw new Error(`${t.task}: only ${rows.length} distinct rows`);
  const header = { task: t.task, version: VERSION, title: t.title, domain: t.domain };
  return [header, ...rows].map((x) => JSON.stringify(x)).join('\n') + '\n';
}

const check = process.argv.includes('--check');
const tokenizer = ModelTokenizer.fromFiles(join(TOKENIZER, 'tokenizer.json'), join(TOKENIZER, 'tokenizer_config.json'));
let stale = 0;
for (const t of TASKS) {
  const path = join(OUT, `${t.task}.jsonl`);
  const text = taskText(t);
  if (check) {
    let now = '';
    try {
      now = readFileSync(path, 'utf8');
    } catch {}
    if (now !== text) {
      console.error(`${path} differs from what the generator writes`);
      stale++;
    }
    continue;
  }
  writeFileSync(path, text);
  // The app's own check, on the written file: stops on the first row it refuses.
  tokenizeTask(readTaskFile(path), tokenizer);
  console.log(`${path}: ${ROWS} rows`);
}
process.exit(stale > 0 ? 1 : 0);
