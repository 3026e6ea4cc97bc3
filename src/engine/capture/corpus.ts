// Corpus input for activation capture: one .txt file, one .jsonl file (a text field per line), or
// a folder of text files. Everything is streamed with positioned reads, so a multi-GB corpus never
// sits in memory: the largest thing held is one piece (≤ maxPieceBytes) or one jsonl line.
//
// Two passes. `scanCorpus` lists the files, hashes them (sha256 for provenance and to check that a
// resumed capture reads the same corpus) and validates every byte up front — UTF-8, and every jsonl
// line's JSON and text field — so a bad line fails the job in seconds, not hours in. `readCorpus`
// then yields pieces: documents (a file, a jsonl record) cut into pieces of at most maxPieceBytes at
// line/word boundaries. Each piece carries the cursor where it starts and where the next one starts;
// reading from a cursor yields exactly the pieces an uninterrupted read yields from there, which is
// what makes capture resumable.

import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { basename, extname, join, relative, sep } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import { jsonSyntaxProblem } from '../formats/jsonProblem';

export type CorpusSpec =
  | { kind: 'txt'; path: string }
  | { kind: 'jsonl'; path: string; /** Field holding the text; default "text". */ textField?: string }
  | {
      kind: 'folder';
      path: string;
      /** Descend into sub-folders; default false. */
      recursive?: boolean;
      /** File extensions to read, with the dot (".md"); default DEFAULT_TEXT_EXTENSIONS. */
      extensions?: string[];
    };

export const DEFAULT_TEXT_EXTENSIONS: readonly string[] = [
  '.txt', '.text', '.md', '.markdown', '.rst', '.tex', '.html', '.htm', '.css', '.csv', '.tsv',
  '.py', '.js', '.mjs', '.ts', '.tsx', '.jsx', '.c', '.h', '.cc', '.cpp', '.hpp', '.java', '.go',
  '.rs', '.rb', '.sh', '.yaml', '.yml', '.toml',
];

/** Longest jsonl line accepted: one record must fit in memory, a runaway line must not. */
export const MAX_JSONL_LINE_BYTES = 64 * 1024 * 1024;
/** Default piece size handed to the tokenizer at once. */
export const DEFAULT_MAX_PIECE_BYTES = 16 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

export interface CorpusFile {
  /** Real path on disk. */
  path: string;
  /** Name shown in messages: the file name, or the path relative to the chosen folder. */
  name: string;
  bytes: number;
}

export interface CorpusScan {
  kind: CorpusSpec['kind'];
  /** sha256 of the file's bytes (txt, jsonl) or of the folder's (relative name, size, bytes) list. */
  sha256: string;
  bytes: number;
  files: CorpusFile[];
  /** Documents: files with text (txt, folder) or jsonl records with non-empty text. */
  documents: number;
  /** Folder entries left out, with the reason (links out of the folder, linked folders). */
  skipped: { name: string; reason: string }[];
}

/** Where a piece starts. offset: byte offset in the file (jsonl: of the line); line: 1-based jsonl
 *  line (0 otherwise); part: index of the piece within a jsonl record. file === files.length: end. */
export interface CorpusCursor {
  file: number;
  offset: number;
  line: number;
  part: number;
}

export interface CorpusPiece {
  text: string;
  /** First piece of a document (gets the BOS/separator); later pieces continue its text. */
  startsDocument: boolean;
  start: CorpusCursor;
  next: CorpusCursor;
  /** File name (and line) for messages. */
  where: string;
}

export const CORPUS_START: CorpusCursor = Object.freeze({ file: 0, offset: 0, line: 0, part: 0 });

export interface ScanOptions {
  signal?: AbortSignal;
  /** Called after each chunk with bytes hashed so far and the total. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

export async function scanCorpus(spec: CorpusSpec, opts: ScanOptions = {}): Promise<CorpusScan> {
  const { files, skipped } = listCorpusFiles(spec);
  const total = files.reduce((s, f) => s + f.bytes, 0);
  const hash = createHash('sha256');
  let done = 0;
  let documents = 0;
  const progress = (n: number): void => {
    done += n;
    opts.onProgress?.(done, total);
  };
  for (const file of files) {
    if (spec.kind === 'folder') {
      // Name and size go into the digest so renaming or splitting files changes it.
      const size = Buffer.alloc(8);
      size.writeBigUInt64LE(BigInt(file.bytes));
      hash.update(file.name, 'utf8').update(Buffer.from([0])).update(size);
    }
    if (spec.kind === 'jsonl') {
      const field = spec.textField ?? 'text';
      for await (const line of jsonlLines(file, 0, 0, opts.signal, (chunk) => (hash.update(chunk), progress(chunk.byteLength)))) {
        if (recordText(file, line.number, line.bytes, field).length > 0) documents++;
      }
    } else {
      let hasText = false;
      await forEachChunk(file, opts.signal, (chunk, offset, decoder) => {
        hash.update(chunk);
        progress(chunk.byteLength);
        try {
          if (decoder.decode(chunk, { stream: true }).length > 0) hasText = true;
        } catch {
          throw notUtf8(file.name, offset, offset + chunk.byteLength);
        }
      });
      if (hasText) documents++;
    }
  }
  if (documents === 0) {
    // An empty or BOM-only corpus would make a "complete" capture of 0 tokens.
    const what = spec.kind === 'folder' ? `its ${files.length} file(s) are empty or hold only a byte-order mark` : spec.kind === 'jsonl' ? `no line has a non-empty ${JSON.stringify(spec.textField ?? 'text')} field` : 'the file is empty or holds only a byte-order mark';
    throw new FeaturescopeError('invalid_input', `${spec.path}: no text: 0 tokens (${what}).`, 'corpus.path');
  }
  return { kind: spec.kind, sha256: hash.digest('hex'), bytes: total, files, documents, skipped };
}

export interface ReadOptions {
  maxPieceBytes?: number;
}

/** Yields the corpus's pieces from `from` (default: the start). Uses the files of a scan. */
export function* readCorpus(spec: CorpusSpec, scan: CorpusScan, from: CorpusCursor = CORPUS_START, opts: ReadOptions = {}): Generator<CorpusPiece> {
  const maxPiece = opts.maxPieceBytes ?? DEFAULT_MAX_PIECE_BYTES;
  if (!Number.isInteger(maxPiece) || maxPiece < 16) throw new FeaturescopeError('invalid_input', 'maxPieceBytes: must be an integer ≥ 16', 'maxPieceBytes');
  for (let f = from.file; f < scan.files.length; f++) {
    const file = scan.files[f]!;
    const resume = f === from.file ? from : CORPUS_START;
    if (spec.kind === 'jsonl') yield* jsonlPieces(file, f, spec.textField ?? 'text', resume, maxPiece);
    else yield* filePieces(file, f, resume.offset, maxPiece);
  }
}

// ---------------------------------------------------------------------------------------------
// Listing

function listCorpusFiles(spec: CorpusSpec): { files: CorpusFile[]; skipped: CorpusScan['skipped'] } {
  let real: string;
  try {
    real = realpathSync(spec.path);
  } catch {
    throw new FeaturescopeError('not_found', `${spec.path}: corpus ${spec.kind === 'folder' ? 'folder' : 'file'} does not exist`, 'corpus.path');
  }
  const stat = statSync(real);
  if (spec.kind !== 'folder') {
    if (!stat.isFile()) throw new FeaturescopeError('invalid_input', `${spec.path}: is not a file; a ${spec.kind} corpus is one .${spec.kind} file`, 'corpus.path');
    return { files: [{ path: real, name: basename(spec.path), bytes: stat.size }], skipped: [] };
  }
  if (!stat.isDirectory()) throw new FeaturescopeError('invalid_input', `${spec.path}: is not a folder`, 'corpus.path');
  const extensions = new Set((spec.extensions ?? DEFAULT_TEXT_EXTENSIONS).map((e) => e.toLowerCase()));
  for (const e of extensions) {
    if (!e.startsWith('.') || e.length < 2) throw new FeaturescopeError('invalid_input', `corpus.extensions: ${JSON.stringify(e)} must start with a dot, like ".txt"`, 'corpus.extensions');
  }
  const files: CorpusFile[] = [];
  const skipped: CorpusScan['skipped'] = [];
  const inside = (p: string): boolean => p.startsWith(real.endsWith(sep) ? real : real + sep);
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // hidden files and folders (.git, .DS_Store)
      const full = join(dir, entry.name);
      const name = relative(real, full).split(sep).join('/');
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(full);
        } catch {
          skipped.push({ name, reason: 'broken link' });
          continue;
        }
        if (!inside(target)) {
          skipped.push({ name, reason: 'link leads outside the folder' });
          continue;
        }
        const targetStat = statSync(target);
        if (targetStat.isDirectory()) {
          skipped.push({ name, reason: 'linked folder not followed (could loop)' });
          continue;
        }
        if (targetStat.isFile() && extensions.has(extname(entry.name).toLowerCase())) files.push({ path: target, name, bytes: targetStat.size });
        continue;
      }
      if (entry.isDirectory()) {
        if (spec.recursive === true) walk(full);
      } else if (entry.isFile() && extensions.has(extname(entry.name).toLowerCase())) {
        files.push({ path: full, name, bytes: lstatSync(full).size });
      }
    }
  };
  walk(real);
  // Codepoint order of the relative names: the same on every platform and every run.
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (files.length === 0) {
    throw new FeaturescopeError('invalid_input', `${spec.path}: no text files (${[...extensions].join(' ')})${spec.recursive === true ? '' : ' at its top level; set recursive to read sub-folders'}`, 'corpus.path');
  }
  return { files, skipped };
}

// ---------------------------------------------------------------------------------------------
// Reading

function openForRead(file: CorpusFile): number {
  try {
    // The scan resolved links already; a link swapped in since then is not followed.
    const fd = openSync(file.path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new Error('not a regular file');
    }
    return fd;
  } catch (err) {
    throw new FeaturescopeError('not_found', `${file.name}: cannot be read (${(err as Error).message})`);
  }
}

function readAt(fd: number, buf: Uint8Array, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function bomLength(fd: number): number {
  const head = new Uint8Array(3);
  const n = readAt(fd, head, 3, 0);
  return n === 3 && head.every((b, i) => b === UTF8_BOM[i]) ? 3 : 0;
}

function notUtf8(name: string, from: number, to: number): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${name}: bytes ${from}–${to} are not UTF-8 text; convert the file to UTF-8`);
}

async function forEachChunk(file: CorpusFile, signal: AbortSignal | undefined, fn: (chunk: Uint8Array, offset: number, decoder: TextDecoder) => void): Promise<void> {
  const fd = openForRead(file);
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const buf = new Uint8Array(READ_CHUNK_BYTES);
  try {
    for (let offset = 0; ; ) {
      throwIfAborted(signal);
      const n = readAt(fd, buf, buf.length, offset);
      if (n === 0) break;
      fn(buf.subarray(0, n), offset, decoder);
      offset += n;
      await breathe();
    }
    try {
      decoder.decode();
    } catch {
      throw notUtf8(file.name, Math.max(0, file.bytes - 4), file.bytes);
    }
  } finally {
    closeSync(fd);
  }
}

interface JsonlLine {
  number: number;
  offset: number;
  /** The line without its "\n" (and "\r"). */
  bytes: Uint8Array;
  next: number;
}

/** Streams lines from byte `offset` (line number `line` before it). Async to let cancel through. */
async function* jsonlLines(file: CorpusFile, offset: number, line: number, signal: AbortSignal | undefined, onChunk: (chunk: Uint8Array) => void): AsyncGenerator<JsonlLine> {
  const fd = openForRead(file);
  try {
    let n = 0;
    for (const l of syncLines(fd, file, offset, line, onChunk)) {
      yield l;
      if (++n % 4096 === 0) {
        throwIfAborted(signal);
        await breathe();
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Line splitter over positioned reads; holds one chunk plus the current line. */
function* syncLines(fd: number, file: CorpusFile, startOffset: number, startLine: number, onChunk?: (chunk: Uint8Array) => void): Generator<JsonlLine> {
  const buf = new Uint8Array(READ_CHUNK_BYTES);
  let position = startOffset;
  let lineNumber = startLine;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let lineStart = startOffset;
  if (startOffset === 0) {
    const bom = bomLength(fd);
    position = bom;
    lineStart = bom;
    if (bom > 0) onChunk?.(new Uint8Array(UTF8_BOM));
  }
  const finish = (tail: Uint8Array, end: number): JsonlLine => {
    let bytes = pending.length === 0 ? tail.slice() : Buffer.concat([...pending, tail]);
    if (bytes.byteLength > 0 && bytes[bytes.byteLength - 1] === 0x0d) bytes = bytes.subarray(0, bytes.byteLength - 1);
    const out = { number: ++lineNumber, offset: lineStart, bytes, next: end };
    pending = [];
    pendingBytes = 0;
    lineStart = end;
    return out;
  };
  for (;;) {
    const n = readAt(fd, buf, buf.length, position);
    if (n === 0) break;
    const chunk = buf.subarray(0, n);
    onChunk?.(chunk);
    let from = 0;
    for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      if (pendingBytes + nl - from > MAX_JSONL_LINE_BYTES) throw longLine(file, lineNumber + 1);
      yield finish(chunk.subarray(from, nl), position + nl + 1);
      from = nl + 1;
    }
    if (from < n) {
      pendingBytes += n - from;
      if (pendingBytes > MAX_JSONL_LINE_BYTES) throw longLine(file, lineNumber + 1);
      pending.push(chunk.slice(from));
    }
    position += n;
  }
  if (pendingBytes > 0) yield finish(new Uint8Array(0), position);
}

function longLine(file: CorpusFile, line: number): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${file.name}: line ${line}: longer than ${MAX_JSONL_LINE_BYTES} bytes; split the record`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of one jsonl line ('' for a blank line); bad_file with file, line and rule otherwise. */
function recordText(file: CorpusFile, line: number, bytes: Uint8Array, field: string): string {
  const where = `${file.name}: line ${line}`;
  let source: string;
  try {
    source = utf8.decode(bytes);
  } catch {
    throw new FeaturescopeError('bad_file', `${where}: is not UTF-8 text`);
  }
  if (source.trim() === '') return '';
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    // Never JSON.parse's message: it quotes the line (the file may be one the caller cannot read otherwise).
    throw new FeaturescopeError('bad_file', `${where}: is ${jsonSyntaxProblem(source).replace('line 1, ', '')}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FeaturescopeError('bad_file', `${where}: must be a JSON object with a ${JSON.stringify(field)} field`);
  }
  if (!Object.prototype.hasOwnProperty.call(value, field)) {
    throw new FeaturescopeError('bad_file', `${where}: has no ${JSON.stringify(field)} field (choose the text field with textField)`);
  }
  const text = (value as Record<string, unknown>)[field];
  if (typeof text !== 'string') throw new FeaturescopeError('bad_file', `${where}: field ${JSON.stringify(field)} must be a string, got ${text === null ? 'null' : typeof text}`);
  return text;
}

function* jsonlPieces(file: CorpusFile, fileIndex: number, field: string, from: CorpusCursor, maxPiece: number): Generator<CorpusPiece> {
  const fd = openForRead(file);
  try {
    let skipParts = from.part;
    for (const line of syncLines(fd, file, from.offset, from.offset === 0 ? 0 : from.line - 1)) {
      const text = Buffer.from(recordText(file, line.number, line.bytes, field), 'utf8');
      const cuts = pieceCuts(text, maxPiece);
      for (let part = skipParts; part < cuts.length - 1; part++) {
        const last = part === cuts.length - 2;
        yield {
          text: text.subarray(cuts[part], cuts[part + 1]).toString('utf8'),
          startsDocument: part === 0,
          start: { file: fileIndex, offset: line.offset, line: line.number, part },
          next: last ? { file: fileIndex, offset: line.next, line: line.number + 1, part: 0 } : { file: fileIndex, offset: line.offset, line: line.number, part: part + 1 },
          where: `${file.name}: line ${line.number}`,
        };
      }
      skipParts = 0;
    }
  } finally {
    closeSync(fd);
  }
}

/** Cut offsets [0, …, length] of a record's UTF-8 bytes into pieces (empty text: no piece). */
function pieceCuts(bytes: Uint8Array, maxPiece: number): number[] {
  const cuts = [0];
  let at = 0;
  while (at < bytes.byteLength) {
    at += cutPoint(bytes.subarray(at, Math.min(bytes.byteLength, at + maxPiece + 1)), maxPiece, at + maxPiece >= bytes.byteLength);
    cuts.push(at);
  }
  return cuts.length === 1 ? [] : cuts;
}

function* filePieces(file: CorpusFile, fileIndex: number, startOffset: number, maxPiece: number): Generator<CorpusPiece> {
  const fd = openForRead(file);
  try {
    let offset = startOffset === 0 ? bomLength(fd) : startOffset;
    const buf = new Uint8Array(maxPiece + 1);
    let first = startOffset === 0;
    for (;;) {
      const n = readAt(fd, buf, buf.length, offset);
      if (n === 0) break;
      const atEnd = n <= maxPiece;
      const cut = cutPoint(buf.subarray(0, n), maxPiece, atEnd);
      let text: string;
      try {
        text = utf8.decode(buf.subarray(0, cut));
      } catch {
        throw notUtf8(file.name, offset, offset + cut);
      }
      const next = offset + cut;
      const nextCursor = atEnd && cut === n ? { file: fileIndex + 1, offset: 0, line: 0, part: 0 } : { file: fileIndex, offset: next, line: 0, part: 0 };
      yield { text, startsDocument: first, start: { file: fileIndex, offset: first ? 0 : offset, line: 0, part: 0 }, next: nextCursor, where: file.name };
      first = false;
      offset = next;
      if (nextCursor.file !== fileIndex) break;
    }
  } finally {
    closeSync(fd);
  }
}

const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0b || b === 0x0c;

/**
 * Where to end a piece that starts at bytes[0]: all of it at the end of the text, else the latest
 * of (after a newline that is followed by a non-space; after any newline; before a space that starts
 * a word; before a UTF-8 lead byte) within maxPiece bytes. These are pre-tokenizer boundaries for
 * GPT-2-style byte-level regexes, so cutting there rarely changes the tokens. `bytes` holds up to
 * maxPiece + 1 bytes so the byte after the cut can be checked.
 */
export function cutPoint(bytes: Uint8Array, maxPiece: number, atEnd: boolean): number {
  if (atEnd && bytes.byteLength <= maxPiece) return bytes.byteLength;
  const limit = Math.min(maxPiece, bytes.byteLength);
  let anyNewline = -1;
  let wordSpace = -1;
  for (let i = limit - 1; i > 0; i--) {
    const b = bytes[i];
    if (b === 0x0a && i + 1 < bytes.byteLength) {
      if (!isSpace(bytes[i + 1])) return i + 1;
      if (anyNewline < 0) anyNewline = i + 1;
    } else if (b === 0x20 && wordSpace < 0 && i + 1 < bytes.byteLength && !isSpace(bytes[i + 1]) && !isSpace(bytes[i - 1])) {
      wordSpace = i;
    }
  }
  if (anyNewline > 0) return anyNewline;
  if (wordSpace > 0) return wordSpace;
  let j = limit;
  while (j > 0 && ((bytes[j] ?? 0) & 0xc0) === 0x80) j--;
  return j > 0 ? j : limit;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new FeaturescopeError('cancelled', 'The job was cancelled.');
}

function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
