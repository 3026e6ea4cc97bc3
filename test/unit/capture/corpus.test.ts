// Corpus input: pieces reassemble to exactly the source text, reading from any piece's cursor
// yields the same tail as an uninterrupted read, sha256 matches the system's sha256sum, and bad
// input fails with bad_file naming the file, line and rule.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CorpusPiece, type CorpusSpec, cutPoint, readCorpus, scanCorpus } from '../../../src/engine/capture/corpus';

const root = mkdtempSync(join(tmpdir(), 'fs-corpus-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(root, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** Mixed text with multi-byte characters, long lines and blank lines, deterministic. */
function sampleText(lines: number): string {
  const words = ['the', 'cat', 'naïve', 'café', '日本語', 'emoji🙂', 'sat', 'on', 'mat', '\tindented', 'x'];
  const out: string[] = [];
  let s = 7;
  for (let i = 0; i < lines; i++) {
    const n = (s = (s * 1103515245 + 12345) >>> 0) % 40;
    const line: string[] = [];
    for (let j = 0; j < n; j++) line.push(words[(s = (s * 1103515245 + 12345) >>> 0) % words.length]!);
    out.push(i % 9 === 0 ? '' : line.join(i % 5 === 0 ? '  ' : ' '));
  }
  return out.join('\n');
}

function sha256sum(path: string): string {
  return execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]!;
}

function pieces(spec: CorpusSpec, scan: Awaited<ReturnType<typeof scanCorpus>>, maxPieceBytes: number, from?: CorpusPiece['start']): CorpusPiece[] {
  return [...readCorpus(spec, scan, from, { maxPieceBytes })];
}

describe('txt corpus', () => {
  const text = sampleText(400);
  const path = file('big.txt', `\ufeff${text}`); // with a UTF-8 BOM, which is not text
  const spec: CorpusSpec = { kind: 'txt', path };

  it('hashes the file as sha256sum does and counts one document', async () => {
    const scan = await scanCorpus(spec);
    expect(scan.sha256).toBe(sha256sum(path));
    expect(scan.documents).toBe(1);
    expect(scan.bytes).toBe(Buffer.byteLength(text) + 3);
  });

  it('cuts into bounded pieces that join back to the text, without splitting characters', async () => {
    const scan = await scanCorpus(spec);
    const ps = pieces(spec, scan, 200, undefined);
    expect(ps.length).toBeGreaterThan(Buffer.byteLength(text) / 200);
    expect(ps.map((p) => p.text).join('')).toBe(text);
    for (const p of ps) expect(Buffer.byteLength(p.text)).toBeLessThanOrEqual(200);
    expect(ps.map((p) => p.startsDocument)).toEqual(ps.map((_, i) => i === 0));
    for (let i = 1; i < ps.length; i++) expect(ps[i]!.start).toEqual(ps[i - 1]!.next);
  });

  it('reading from any piece cursor yields the same remaining pieces', async () => {
    const scan = await scanCorpus(spec);
    const all = pieces(spec, scan, 300);
    for (const k of [1, 2, Math.floor(all.length / 2), all.length - 1]) {
      expect(pieces(spec, scan, 300, all[k]!.start)).toEqual(all.slice(k));
    }
  });

  it('refuses bytes that are not UTF-8, naming the file', async () => {
    const bad = file('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b])); // "café ok" in Latin-1
    await expect(scanCorpus({ kind: 'txt', path: bad })).rejects.toMatchObject({ code: 'bad_file', message: expect.stringMatching(/latin1\.txt: bytes .* not UTF-8/) });
  });

  it('says when the file is missing', async () => {
    await expect(scanCorpus({ kind: 'txt', path: join(root, 'nope.txt') })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('cutPoint', () => {
  it('prefers a newline before a word, then a space before a word, then a character boundary', () => {
    const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');
    expect(cutPoint(enc('ab\ncd\n  ef gh'), 12, false)).toBe(3); // after "ab\n" (the later "\n" is followed by spaces)
    expect(cutPoint(enc('abc def ghij'), 10, false)).toBe(7); // before " ghij"
    const cjk = enc('日本語日本語'); // 3-byte characters
    expect(cutPoint(cjk, 7, false)).toBe(6);
    expect(cutPoint(enc('short'), 10, true)).toBe(5);
  });
});

describe('jsonl corpus', () => {
  const records = Array.from({ length: 60 }, (_, i) => ({ id: i, body: i % 7 === 3 ? '' : `${sampleText(3 + (i % 5))} #${i}` }));
  const lines = records.map((r) => JSON.stringify(r));
  lines.splice(10, 0, '   '); // blank lines are skipped
  const path = file('data.jsonl', `${lines.join('\r\n')}\n`);
  const spec: CorpusSpec = { kind: 'jsonl', path, textField: 'body' };

  it('yields each non-empty record as a document, split into pieces', async () => {
    const scan = await scanCorpus(spec);
    expect(scan.sha256).toBe(sha256sum(path));
    const nonEmpty = records.filter((r) => r.body !== '');
    expect(scan.documents).toBe(nonEmpty.length);
    const ps = pieces(spec, scan, 64);
    const docs: string[] = [];
    for (const p of ps) {
      if (p.startsDocument) docs.push(p.text);
      else docs[docs.length - 1] += p.text;
    }
    expect(docs).toEqual(nonEmpty.map((r) => r.body));
    expect(ps.some((p) => !p.startsDocument)).toBe(true); // some records were long enough to split
    expect(ps[0]!.where).toBe('data.jsonl: line 1');
    for (const k of [1, 5, Math.floor(ps.length / 2), ps.length - 1]) {
      expect(pieces(spec, scan, 64, ps[k]!.start)).toEqual(ps.slice(k));
    }
  });

  it.each([
    ['{"text": "a"}\n{"text": "b"\n', 2, /line 2: is not valid JSON/],
    ['{"text": "a"}\n["text"]\n', 2, /line 2: must be a JSON object/],
    ['{"text": "a"}\n{"text": "b"}\n{"body": "c"}\n', 3, /line 3: has no "text" field/],
    ['{"text": 5}\n', 1, /line 1: field "text" must be a string, got number/],
    ['{"text": null}\n', 1, /got null/],
  ])('a bad line is bad_file naming file, line and rule: %j', async (content, _line, rule) => {
    const bad = file(`bad-${Math.random().toString(36).slice(2)}.jsonl`, content);
    const err = await scanCorpus({ kind: 'jsonl', path: bad }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad_file' });
    expect((err as Error).message).toMatch(/^bad-.*\.jsonl: /);
    expect((err as Error).message).toMatch(rule);
  });

  it('a line that is not UTF-8 is bad_file', async () => {
    const bad = file('bytes.jsonl', Buffer.concat([Buffer.from('{"text": "ok"}\n{"text": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
    await expect(scanCorpus({ kind: 'jsonl', path: bad })).rejects.toMatchObject({ code: 'bad_file', message: 'bytes.jsonl: line 2: is not UTF-8 text' });
  });
});

describe('folder corpus', () => {
  const dir = join(root, 'folder');
  file('folder/b.md', '# Title\nbody b');
  file('folder/a.txt', 'alpha');
  file('folder/c.py', 'print("c")\n');
  file('folder/image.png', 'not text');
  file('folder/.hidden.txt', 'hidden');
  file('folder/sub/d.txt', 'delta');
  file('folder/sub/deeper/e.txt', 'echo');
  file('outside.txt', 'secret outside the folder');
  symlinkSync(join(root, 'outside.txt'), join(dir, 'leak.txt'));
  symlinkSync(join(dir, 'a.txt'), join(dir, 'alias.txt'));
  symlinkSync(join(dir, 'sub'), join(dir, 'subLink'));

  it('reads matching top-level files in name order, never a link out of the folder', async () => {
    const spec: CorpusSpec = { kind: 'folder', path: dir };
    const scan = await scanCorpus(spec);
    expect(scan.files.map((f) => f.name)).toEqual(['a.txt', 'alias.txt', 'b.md', 'c.py']);
    expect(scan.skipped).toEqual(expect.arrayContaining([{ name: 'leak.txt', reason: 'link leads outside the folder' }, { name: 'subLink', reason: 'linked folder not followed (could loop)' }]));
    const ps = pieces(spec, scan, 1024);
    expect(ps.map((p) => [p.text, p.startsDocument])).toEqual([['alpha', true], ['alpha', true], ['# Title\nbody b', true], ['print("c")\n', true]]);
    expect(ps.map((p) => p.text).join('')).not.toContain('secret');
  });

  it('descends into sub-folders when recursive, with its own extension list', async () => {
    const spec: CorpusSpec = { kind: 'folder', path: dir, recursive: true, extensions: ['.txt'] };
    const scan = await scanCorpus(spec);
    expect(scan.files.map((f) => f.name)).toEqual(['a.txt', 'alias.txt', 'sub/d.txt', 'sub/deeper/e.txt']);
    expect(pieces(spec, scan, 1024).map((p) => p.text)).toEqual(['alpha', 'alpha', 'delta', 'echo']);
  });

  it('hash changes when a file is renamed, even with the same bytes', async () => {
    const other = join(root, 'renamed');
    file('renamed/x.txt', 'same');
    const before = (await scanCorpus({ kind: 'folder', path: other })).sha256;
    rmSync(join(other, 'x.txt'));
    file('renamed/y.txt', 'same');
    expect((await scanCorpus({ kind: 'folder', path: other })).sha256).not.toBe(before);
  });

  it('a folder with no text files is invalid_input', async () => {
    file('empty/picture.png', 'x');
    await expect(scanCorpus({ kind: 'folder', path: join(root, 'empty') })).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
