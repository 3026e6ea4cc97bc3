// Builds the training corpus of the bundled default model from two sources whose licences
// allow shipping a model trained on them:
//   - Python source of Debian's Python 3.11 standard library (/usr/lib/python3.11/*.py, PSF licence);
//   - the six Jane Austen novels (public domain, Project Gutenberg transcriptions) as packaged in
//     Debian's r-cran-janeaustenr (package MIT), read straight from its R data files.
// Output: .cache/default-model/corpus.json with one entry per document and its split.
// Run: npx tsx scripts/default-model/corpus.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readLazyLoadDatabase } from './r-serialize';

export const CACHE_DIR = resolve(import.meta.dirname, '../../.cache/default-model');
export const CORPUS_PATH = join(CACHE_DIR, 'corpus.json');

const PYTHON_STDLIB_DIR = '/usr/lib/python3.11';
const INSTALLED_AUSTEN_DATA = '/usr/lib/R/site-library/janeaustenr/data/Rdata';
const AUSTEN_PACKAGE = 'r-cran-janeaustenr';

export type Split = 'train' | 'validation';
export interface CorpusDocument {
  source: 'python-stdlib' | 'austen';
  name: string;
  split: Split;
  text: string;
}
export interface CorpusManifest {
  sources: { name: string; debianPackage: string; version: string; licence: string; path: string }[];
  documents: CorpusDocument[];
}

/** Every 20th Python module (in name order) is held out whole for validation. */
const PYTHON_VALIDATION_STRIDE = 20;
/** The last 5% of each novel's paragraphs are held out for validation. */
const PROSE_VALIDATION_FRACTION = 0.05;

function debianPackageVersion(pkg: string): string {
  return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).trim();
}

/** Python files: normalise line ends and trailing blanks; keep everything else byte-exact. */
function cleanPython(source: string): string {
  return source
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n\n')
    .trim() + '\n';
}

function pythonDocuments(): CorpusDocument[] {
  const files = readdirSync(PYTHON_STDLIB_DIR).filter((f) => f.endsWith('.py')).sort();
  if (files.length === 0) throw new Error(`no .py files in ${PYTHON_STDLIB_DIR}: is libpython3.11-stdlib installed?`);
  return files.map((file, i) => ({
    source: 'python-stdlib' as const,
    name: file,
    split: i % PYTHON_VALIDATION_STRIDE === PYTHON_VALIDATION_STRIDE - 1 ? ('validation' as const) : ('train' as const),
    text: cleanPython(readFileSync(join(PYTHON_STDLIB_DIR, file), 'utf8')),
  }));
}

/**
 * Finds r-cran-janeaustenr's data files: the installed package if present, otherwise the
 * .deb fetched with `apt-get download` (no R needed) and unpacked into the cache.
 */
function austenDataFiles(): { base: string; version: string } {
  if (existsSync(`${INSTALLED_AUSTEN_DATA}.rdb`)) {
    return { base: INSTALLED_AUSTEN_DATA, version: debianPackageVersion(AUSTEN_PACKAGE) };
  }
  const debDir = join(CACHE_DIR, 'debs');
  mkdirSync(debDir, { recursive: true });
  let deb = readdirSync(debDir).find((f) => f.startsWith(`${AUSTEN_PACKAGE}_`) && f.endsWith('.deb'));
  if (deb === undefined) {
    execFileSync('apt-get', ['download', AUSTEN_PACKAGE], { cwd: debDir, stdio: 'inherit' });
    deb = readdirSync(debDir).find((f) => f.startsWith(`${AUSTEN_PACKAGE}_`) && f.endsWith('.deb'));
    if (deb === undefined) throw new Error(`apt-get download ${AUSTEN_PACKAGE} produced no .deb (run apt-get update first)`);
  }
  const unpacked = join(debDir, 'unpacked');
  execFileSync('dpkg-deb', ['-x', join(debDir, deb), unpacked]);
  const version = execFileSync('dpkg-deb', ['-f', join(debDir, deb), 'Version'], { encoding: 'utf8' }).trim();
  return { base: join(unpacked, INSTALLED_AUSTEN_DATA.slice(1)), version };
}

/**
 * The novels come as hard-wrapped lines. Rejoin each paragraph into one line, drop the
 * underscores Gutenberg uses for italics, and separate paragraphs by a blank line.
 */
export function paragraphsOf(lines: readonly (string | null)[]): string[] {
  const paragraphs: string[] = [];
  let current: string[] = [];
  const flush = (): void => {
    if (current.length > 0) paragraphs.push(current.join(' ').replace(/_/g, '').replace(/\s+/g, ' ').trim());
    current = [];
  };
  for (const line of lines) {
    const trimmed = (line ?? '').trim();
    if (trimmed === '') flush();
    else current.push(trimmed);
  }
  flush();
  return paragraphs.filter((p) => p.length > 0);
}

const AUSTEN_TITLES: Record<string, string> = {
  emma: 'Emma',
  mansfieldpark: 'Mansfield Park',
  northangerabbey: 'Northanger Abbey',
  persuasion: 'Persuasion',
  prideprejudice: 'Pride and Prejudice',
  sensesensibility: 'Sense and Sensibility',
};

function austenDocuments(base: string): CorpusDocument[] {
  const variables = readLazyLoadDatabase(readFileSync(`${base}.rdx`), readFileSync(`${base}.rdb`), base);
  const documents: CorpusDocument[] = [];
  for (const [variable, title] of Object.entries(AUSTEN_TITLES)) {
    const value = variables.get(variable);
    if (value === undefined || value.kind !== 'string') throw new Error(`${base}: no character vector '${variable}'`);
    const paragraphs = paragraphsOf(value.value);
    const cut = Math.floor(paragraphs.length * (1 - PROSE_VALIDATION_FRACTION));
    documents.push({ source: 'austen', name: title, split: 'train', text: paragraphs.slice(0, cut).join('\n\n') + '\n' });
    documents.push({ source: 'austen', name: `${title} (end)`, split: 'validation', text: paragraphs.slice(cut).join('\n\n') + '\n' });
  }
  return documents;
}

export function buildCorpus(): CorpusManifest {
  const austen = austenDataFiles();
  const documents = [...pythonDocuments(), ...austenDocuments(austen.base)];
  return {
    sources: [
      {
        name: 'Python 3.11 standard library (top-level modules)',
        debianPackage: 'libpython3.11-minimal, libpython3.11-stdlib',
        version: debianPackageVersion('libpython3.11-stdlib'),
        licence: 'PSF-2.0 (Python Software Foundation License)',
        path: `${PYTHON_STDLIB_DIR}/*.py`,
      },
      {
        name: 'Jane Austen, six novels (Project Gutenberg transcriptions)',
        debianPackage: AUSTEN_PACKAGE,
        version: austen.version,
        licence: 'texts public domain; R package MIT',
        path: `${INSTALLED_AUSTEN_DATA}.rdb (in the package)`,
      },
    ],
    documents,
  };
}

export function loadCorpus(): CorpusManifest {
  if (!existsSync(CORPUS_PATH)) throw new Error(`${CORPUS_PATH} is missing: run npx tsx scripts/default-model/corpus.ts`);
  return JSON.parse(readFileSync(CORPUS_PATH, 'utf8')) as CorpusManifest;
}

function byteLength(docs: CorpusDocument[]): number {
  return docs.reduce((sum, d) => sum + Buffer.byteLength(d.text, 'utf8'), 0);
}

export function describeCorpus(manifest: CorpusManifest): string {
  const rows: string[] = [];
  for (const source of ['python-stdlib', 'austen'] as const) {
    for (const split of ['train', 'validation'] as const) {
      const docs = manifest.documents.filter((d) => d.source === source && d.split === split);
      rows.push(`${source} ${split}: ${docs.length} documents, ${byteLength(docs)} bytes`);
    }
  }
  return rows.join('\n');
}

/** Builds the corpus and writes it to CORPUS_PATH. */
export function writeCorpus(): CorpusManifest {
  mkdirSync(CACHE_DIR, { recursive: true });
  const manifest = buildCorpus();
  writeFileSync(CORPUS_PATH, JSON.stringify(manifest));
  console.log(`wrote ${CORPUS_PATH}`);
  console.log(describeCorpus(manifest));
  return manifest;
}

if (import.meta.url === `file://${process.argv[1]}`) writeCorpus();
