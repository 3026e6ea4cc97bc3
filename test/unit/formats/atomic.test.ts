import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AtomicFileWriter, writeFileAtomic } from '../../../src/engine/formats/atomic';

const work = mkdtempSync(join(tmpdir(), 'fs-atomic-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates, then replaces, a file with no temp file left behind', () => {
    const dir = mkdtempSync(join(work, 'a-'));
    const p = join(dir, 'out.json');
    writeFileAtomic(p, '{"v":1}');
    expect(readFileSync(p, 'utf8')).toBe('{"v":1}');
    writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['out.json']);
  });

  it('fails with a clear error when the folder does not exist', () => {
    expect(() => writeFileAtomic(join(work, 'no-such-dir', 'x'), 'x')).toThrowError(/cannot create a temporary file next to/);
  });
});

describe('AtomicFileWriter', () => {
  it('streams chunks and only shows them at commit', () => {
    const dir = mkdtempSync(join(work, 'b-'));
    const p = join(dir, 'ckpt.bin');
    writeFileSync(p, 'old');
    const w = AtomicFileWriter.create(p);
    w.write(new Uint8Array([65, 66]));
    w.write(new Uint8Array(0));
    w.write(new Uint8Array([67]));
    expect(readFileSync(p, 'utf8')).toBe('old'); // not visible before commit
    expect(w.bytesWritten).toBe(3);
    w.commit();
    expect(readFileSync(p, 'utf8')).toBe('ABC');
    expect(readdirSync(dir)).toEqual(['ckpt.bin']);
    expect(() => w.write(new Uint8Array([1]))).toThrowError(/already committed or aborted/);
  });

  it('abort leaves the old file untouched and removes the temp file', () => {
    const dir = mkdtempSync(join(work, 'c-'));
    const p = join(dir, 'ckpt.bin');
    writeFileSync(p, 'old');
    const w = AtomicFileWriter.create(p);
    w.write(new Uint8Array([1, 2, 3]));
    w.abort();
    w.abort();
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['ckpt.bin']);
  });
});
