import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeightStore } from '../../../src/engine/formats/sharded';
import { writeSafetensors } from '../../../src/engine/formats/safetensors';

const FIXTURES = join(__dirname, '../../fixtures/formats');
const SHARDED = join(FIXTURES, 'sharded_model');
const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';
const work = mkdtempSync(join(tmpdir(), 'fs-sharded-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
/** A fresh copy of the fixture model folder, with its index replaced by `weightMap` if given. */
function modelCopy(weightMap?: Record<string, string> | string): string {
  const dir = join(work, `m${counter++}`);
  mkdirSync(dir);
  copyFileSync(join(SHARDED, SHARD1), join(dir, SHARD1));
  copyFileSync(join(SHARDED, SHARD2), join(dir, SHARD2));
  const index =
    typeof weightMap === 'string'
      ? weightMap
      : weightMap === undefined
        ? readFileSync(join(SHARDED, 'model.safetensors.index.json'), 'utf8')
        : JSON.stringify({ metadata: {}, weight_map: weightMap });
  writeFileSync(join(dir, 'model.safetensors.index.json'), index);
  return dir;
}

function expectBad(dir: string, rule: RegExp): void {
  expect(() => WeightStore.open(dir)).toThrowError(expect.objectContaining({ code: 'bad_file', message: expect.stringMatching(rule) }));
}

const f32Hex = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('WeightStore', () => {
  it('opens a sharded folder written by Python and reads every tensor exactly', () => {
    const expected = JSON.parse(readFileSync(join(FIXTURES, 'sharded_model.expected.json'), 'utf8')) as Record<
      string,
      { dtype: string; shape: number[]; f32: string }
    >;
    const store = WeightStore.open(SHARDED);
    try {
      expect(store.names().sort()).toEqual(Object.keys(expected).sort());
      for (const [name, want] of Object.entries(expected)) {
        expect(store.has(name)).toBe(true);
        expect(store.dtype(name)).toBe(want.dtype);
        expect(store.shape(name)).toEqual(want.shape);
        expect(f32Hex(store.readFloat32(name))).toBe(want.f32);
      }
      expect(() => store.readFloat32('missing')).toThrowError(expect.objectContaining({ code: 'not_found' }));
    } finally {
      store.close();
    }
  });

  it('opens a single model.safetensors', () => {
    const dir = join(work, `single${counter++}`);
    mkdirSync(dir);
    writeSafetensors(join(dir, 'model.safetensors'), [{ name: 'w', dtype: 'F32', shape: [2], data: Float32Array.from([1, 2]) }]);
    const store = WeightStore.open(dir);
    expect(store.names()).toEqual(['w']);
    expect(Array.from(store.readFloat32('w'))).toEqual([1, 2]);
    store.close();
  });

  it('reports a folder without weights as not_found', () => {
    const dir = join(work, `empty${counter++}`);
    mkdirSync(dir);
    expect(() => WeightStore.open(dir)).toThrowError(expect.objectContaining({ code: 'not_found' }));
  });

  it('rejects shard names that leave the folder or are not safetensors', () => {
    expectBad(modelCopy({ a: '../model-00001-of-00002.safetensors' }), /path separators/);
    expectBad(modelCopy({ a: '/etc/passwd.safetensors' }), /path separators/);
    expectBad(modelCopy({ a: '..evil.safetensors' }), /'\.\.'/);
    expectBad(modelCopy({ a: 'sub\\x.safetensors' }), /path separators/);
    expectBad(modelCopy({ a: 'C:x.safetensors' }), /absolute/);
    expectBad(modelCopy({ a: 'model.bin' }), /must end in '\.safetensors'/);
  });

  it('rejects a missing shard and a name absent from its shard', () => {
    expectBad(modelCopy({ 'wte.weight': 'model-00003-of-00003.safetensors' }), /not in the folder/);
    expectBad(modelCopy({ 'wte.weight': SHARD2 }), /has no such tensor/);
  });

  it('rejects duplicate weight_map keys and malformed indexes', () => {
    expectBad(modelCopy(`{"weight_map":{"wte.weight":"${SHARD1}","wte.weight":"${SHARD2}"}}`), /duplicate key/);
    expectBad(modelCopy('{"weight_map":{}}'), /weight_map is empty/);
    expectBad(modelCopy('{"weight_map":{"a":1}}'), /not a file name string/);
    expectBad(modelCopy('{"weight_map":'), /invalid JSON/);
  });

  it('refuses a shard that is a symlink pointing outside the folder', () => {
    const outside = join(work, `outside${counter++}`);
    mkdirSync(outside);
    copyFileSync(join(SHARDED, SHARD2), join(outside, 'real.safetensors'));
    const dir = modelCopy({ 'h.0.mlp.c_fc.weight': 'link.safetensors' });
    symlinkSync(join(outside, 'real.safetensors'), join(dir, 'link.safetensors'));
    expectBad(dir, /outside the model folder/);
  });
});
