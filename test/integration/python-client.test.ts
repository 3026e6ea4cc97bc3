// The Python client (clients/python/featurescope_client.py) against a live `featurescope serve` child
// process, driven by /usr/bin/python3: what it answers must equal what the TypeScript typed call
// answers over the same server. Its .npy/.safetensors readers against files the engine's writers
// wrote. Skipped (and says so) only where /usr/bin/python3 does not exist.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typedCall, type Call, type CallResult } from '../../src/shared/call';
import type { RunOutput } from '../../src/shared/contract';
import { SafetensorsFile, writeSafetensors } from '../../src/engine/formats/safetensors';
import { f32ToF16 } from '../../src/engine/capture/float16';
import { beginAnalysis, commitAnalysis, insertSae, openCatalog, writeFeatures, type FeatureRecord } from '../../src/catalog';
import { callOverWebSocket, expectServing, startLiveServe, type LiveServe } from './serve-live';

const PYTHON = '/usr/bin/python3';
const HAS_PYTHON = existsSync(PYTHON);
const CLIENT_DIR = resolve(__dirname, '../../clients/python');
const CASES = resolve(__dirname, 'python/client_cases.py');
const READERS = resolve(__dirname, 'python/reader_cases.py');
const WEBSOCKET = resolve(__dirname, 'python/websocket_cases.py');

/** Debian's python3-numpy is optional: with it arrays are numpy arrays, without it lists. */
const HAS_NUMPY = HAS_PYTHON && spawnSync(PYTHON, ['-c', 'import numpy']).status === 0;

if (!HAS_PYTHON) console.warn(`python-client.test.ts: skipped, ${PYTHON} does not exist`);

/** Run a Python script with the client on its path (no .pyc files written into the repo); its stdout as JSON. */
function python<T>(script: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  return new Promise((ok, fail) => {
    execFile(PYTHON, ['-B', script, ...args], { env: { ...process.env, PYTHONPATH: CLIENT_DIR, ...env }, timeout: 180_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      // Not err.message: it repeats the command line.
      if (err) return fail(new Error(`${script} ${args[0] ?? ''} exited with ${err.code ?? err.signal}:\n${stderr}`));
      try {
        ok(JSON.parse(stdout) as T);
      } catch {
        fail(new Error(`${script} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

function feature(idx: number, tokens: string[], values: number[], density: number): FeatureRecord {
  return {
    idx,
    density,
    maxAct: Math.max(...values),
    meanAct: 1,
    histogram: { scale: 'linear', lo: 0, hi: 10, counts: [5, 3, 1] },
    examples: [{ kind: 'top', bucket: 0, rank: 0, tokens, values, doc: idx, start: 0 }],
    logitEffects: { promoted: [[' def', 2.5]], suppressed: [[' the', -1.5]] },
  };
}

interface PyError {
  type: string;
  code?: string;
  field?: string | null;
  message: string;
  status?: number;
  closeCode?: number | null;
}

describe.skipIf(!HAS_PYTHON)('Python client against serve mode', () => {
  let live: LiveServe;
  let call: Call;
  let model: string;

  beforeAll(async () => {
    live = await startLiveServe();
    // The TypeScript side of each comparison: the contract's typed call over a script's WebSocket.
    call = typedCall((command, input) => callOverWebSocket(live.port, live.token, command, input) as Promise<CallResult>);
    const models = await call('model.list', {});
    if (!models.ok) throw new Error('model.list failed');
    model = models.value.find((m) => m.bundled)!.path;
  });
  afterAll(async () => {
    await live?.stop();
  });

  /** A case of python/client_cases.py against this server; its address goes in the environment, not argv. */
  const cases = <T,>(args: string[], env: Record<string, string> = {}) => python<T>(CASES, args, { FEATURESCOPE_URL: live.url.href, ...env });

  const PROMPT = 'The cat sat on the mat because';
  const typedRun = async (): Promise<RunOutput> => {
    const r = await call('model.run', { model, prompt: PROMPT, topK: 5, generate: { maxNewTokens: 4 } });
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };

  it('connects with the printed address and runs a prompt: tokens, top tokens and continuation equal the typed call', async () => {
    const [py, ts] = await Promise.all([
      cases<{ model: string; tokens: unknown; next: unknown; continuation: string; arrayType: string; tokenIds: number[]; nextProbs: number[]; top: [string, number][] }>(['run', PROMPT]),
      typedRun(),
    ]);
    expect(py.model).toBe(model);
    expect(py.tokens).toEqual(ts.tokens);
    expect(py.next).toEqual(ts.next);
    expect(py.continuation).toBe(ts.continuation!.text);
    expect(py.arrayType).toBe(HAS_NUMPY ? 'ndarray' : 'list');
    expect(py.tokenIds).toEqual(ts.tokens.map((t) => t.id));
    expect(py.nextProbs).toEqual(ts.next.map((t) => t.prob));
    expect(py.top).toEqual(ts.next.slice(0, 2).map((t) => [t.text, t.prob]));
  });

  it('answers lists instead of arrays where numpy cannot be imported', async () => {
    const py = await cases<{ arrayType: string; tokenIds: number[]; next: unknown }>(['run', PROMPT], { FEATURESCOPE_TEST_HIDE_NUMPY: '1' });
    expect(py.arrayType).toBe('list');
    expect(py.next).toEqual((await typedRun()).next);
  });

  it('sends its frames fragmented, and the server reassembles them into the same run', async () => {
    const py = await cases<{ tokens: unknown; next: unknown }>(['fragmented', PROMPT]);
    const ts = await typedRun();
    expect(py.tokens).toEqual(ts.tokens);
    expect(py.next).toEqual(ts.next);
  });

  it('searches and lists an SAE\'s features by name, and reads a feature page, as the typed catalog calls answer', async () => {
    const doctor = await call('app.doctor', {});
    if (!doctor.ok) throw new Error(doctor.error.message);
    // Seed the server's own catalog as an analysis would leave it (a second writer, as the catalog tests do).
    const writer = openCatalog(doctor.value.paths.catalog);
    const saeId = insertSae(writer, {
      name: 'py-sae',
      modelId: null,
      hookName: 'blocks.0.hook_resid_post',
      architecture: 'topk',
      dIn: 8,
      dSae: 3,
      cfg: {},
      metrics: { l0: 3 },
      provenance: { model: 'm', hook: 'blocks.0.hook_resid_post', corpus: null, seed: 1, appVersion: '0.1.0', createdAt: Date.now() },
      weightsPath: '/nonexistent',
    });
    const analysis = beginAnalysis(writer, { saeId, corpusId: null });
    writeFeatures(writer, analysis, [feature(0, ['def', ' foo'], [4, 0.5], 0.01), feature(1, [' the', ' cat'], [0.2, 3], 0.3), feature(2, [' a', ' dog'], [1, 2], 0.2)]);
    commitAnalysis(writer, analysis);
    writer.close();

    const py = await cases<{ found: unknown; listed: number[]; densities: number[]; columnType: string; page: unknown; valuesType: string; saeId: number }>(['features', 'py-sae']);
    const search = await call('catalog.search', { saeId, q: 'cat' });
    const listed = await call('catalog.search', { saeId, sort: 'density', order: 'desc', limit: 10 });
    const page = await call('catalog.feature', { saeId, idx: 0 });
    if (!search.ok || !listed.ok || !page.ok) throw new Error('a typed catalog call failed');
    expect(py.saeId).toBe(saeId);
    expect(py.found).toEqual(search.value);
    expect(search.value.rows.map((r) => r.idx)).toEqual([1]);
    expect(py.listed).toEqual([1, 2, 0]);
    expect(py.listed).toEqual(listed.value.rows.map((r) => r.idx));
    expect(py.densities).toEqual(listed.value.rows.map((r) => r.density));
    expect(py.columnType).toBe(HAS_NUMPY ? 'ndarray' : 'list');
    expect(py.valuesType).toBe(HAS_NUMPY ? 'ndarray' : 'list');
    expect(py.page).toEqual(page.value);
  });

  it('starts a job, sees its progress frames and its completion, and finds it again by id', async () => {
    const py = await cases<{ jobId: string; progress: { fraction: number; unit: string }[]; result: unknown; state: string; again: { state: string; result: unknown } }>(['job']);
    expect(py.progress.length).toBeGreaterThan(0);
    const fractions = py.progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(fractions.at(-1)).toBe(1); // the meter's last update counts every second of the run
    expect(py.progress.every((p) => p.unit === 'seconds')).toBe(true);
    expect(py.state).toBe('finished');
    const job = await call('jobs.get', { jobId: py.jobId });
    expect(job.ok && job.value.state).toBe('finished');
    expect(py.result).toEqual(job.ok && job.value.result);
    expect(py.again).toEqual({ state: 'finished', result: py.result });
  });

  it('cancels a running job: wait() raises its cancellation with the code, and the server agrees', async () => {
    const py = await cases<{ jobId: string; first: { fraction: number }; cancelled: boolean; error: PyError; state: string; cancelAgain: boolean }>(['cancel']);
    expect(py.first.fraction).toBeLessThan(1);
    expect(py.cancelled).toBe(true);
    expect(py.error).toMatchObject({ type: 'FeaturescopeError', code: 'cancelled' });
    expect(py.state).toBe('cancelled');
    expect(py.cancelAgain).toBe(false);
    const job = await call('jobs.get', { jobId: py.jobId });
    expect(job.ok && job.value.state).toBe('cancelled');
  });

  it("raises the server's errors as exceptions carrying its code and field, and a close code when the server hangs up", async () => {
    const missing = join(tmpdir(), `featurescope-no-such-corpus-${process.pid}.txt`);
    const py = await cases<Record<string, PyError>>(['errors', missing]);
    expect(py.invalid).toMatchObject({ type: 'FeaturescopeError', code: 'invalid_input', field: 'topK' });
    expect(py.unknown).toMatchObject({ code: 'unknown_command' });
    expect(py.noJob).toMatchObject({ code: 'not_found', field: 'jobId' });
    expect(py.noSae).toMatchObject({ code: 'not_found', field: 'sae' });
    // A job that fails at work: the failure arrives as job.failed, and wait() raises it.
    expect(py.failedJob).toMatchObject({ type: 'FeaturescopeError', code: 'not_found', field: 'corpus.path' });
    expect(py.closed).toMatchObject({ type: 'ConnectionClosed', code: 'connection_closed', closeCode: 1003 });
    await expectServing(live);
  });

  it('is refused with a wrong token (401) or none, and the server stays up', async () => {
    const py = await cases<{ wrong: PyError; none: PyError }>(['bad-token']);
    expect(py.wrong).toMatchObject({ type: 'AuthError', code: 'unauthorized', status: 401 });
    expect(py.wrong.message).not.toContain(live.token);
    expect(py.none).toMatchObject({ type: 'ValueError' });
    await expectServing(live);
  });
});

describe.skipIf(!HAS_PYTHON)("the client's WebSocket against a scripted server (what serve never sends)", () => {
  type Sent = { opcode: number; payload: string; masked: boolean };
  type Scripted = Record<string, { client: Record<string, unknown>[]; sent?: Sent[] }>;
  const closeCode = (f: Sent) => Buffer.from(f.payload, 'base64').readUInt16BE(0);

  it('reassembles a fragmented message around a ping, answers the ping, echoes a close code, and refuses masked or reserved-bit frames and a wrong accept key', async () => {
    const r = await python<Scripted>(WEBSOCKET, []);
    expect(r.fragmented!.client).toEqual([{ text: '{"a": "été"}' }, { closed: 1011, reason: 'bye' }]);
    const [pong, close] = r.fragmented!.sent!;
    expect(pong).toEqual({ opcode: 0xa, payload: Buffer.from('hi').toString('base64'), masked: true });
    expect(close!.opcode).toBe(0x8);
    expect(closeCode(close!)).toBe(1011);
    for (const name of ['masked', 'reserved']) {
      expect(r[name]!.client).toEqual([{ error: 'protocol', message: expect.stringContaining('(closed with 1002)') }]);
      expect(r[name]!.sent!.map((f) => [f.opcode, closeCode(f), f.masked])).toEqual([[0x8, 1002, true]]);
    }
    expect(r.badAccept!.client).toEqual([{ error: 'protocol', message: "the server's Sec-WebSocket-Accept does not match our key" }]);
  });
});

describe.skipIf(!HAS_PYTHON)('read_npy and read_safetensors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'featurescope-pyread-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  type Described = { kind: string; dtype?: string; shape?: number[]; values: unknown };
  type Read = Record<string, { tensors?: Record<string, Described>; order?: string[]; metadata?: Record<string, string>; array?: Described; numpyAgrees?: boolean; error?: string }>;

  // Values every dtype holds exactly, so equality is exact after narrowing.
  const values = [0, 1, -2, 0.5, 3.25, -1024, 49152, 1 / 1024];

  function engineSafetensors(): string {
    const path = join(dir, 'engine.safetensors');
    const f32 = new Float32Array(values);
    const bf16 = new Uint16Array(new Uint32Array(f32.buffer).map((b) => b >>> 16)); // exact for these values
    writeSafetensors(
      path,
      [
        { name: 'blocks.0.hook_resid_post', dtype: 'F32', shape: [2, 4], data: f32 },
        { name: 'half', dtype: 'F16', shape: [4, 2], data: f32ToF16(f32) },
        { name: 'brain', dtype: 'BF16', shape: [8], data: bf16 },
        { name: 'ids', dtype: 'I32', shape: [3], data: new Int32Array([7, -1, 2 ** 31 - 1]) },
        { name: 'big', dtype: 'I64', shape: [2], data: new BigInt64Array([2n ** 40n, -3n]) },
        { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([2.5]) },
      ],
      { format: 'pt', written_by: 'featurescope' },
    );
    return path;
  }

  /** A .npy file written by the format's rules (numpy's own format spec), for the dtypes and orders the CLI and numpy write. */
  function npy(name: string, descr: string, shape: number[], data: ArrayBufferView, opts: { fortran?: boolean; version?: 1 | 2 } = {}): string {
    const version = opts.version ?? 1;
    const dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${shape.map((d) => `${d},`).join(' ')}), }`;
    const pre = version === 1 ? 10 : 12;
    const padded = Math.ceil((pre + dict.length + 1) / 64) * 64 - pre;
    const header = Buffer.from(dict.padEnd(padded - 1, ' ') + '\n', 'latin1');
    const len = Buffer.alloc(version === 1 ? 2 : 4);
    if (version === 1) len.writeUInt16LE(header.length);
    else len.writeUInt32LE(header.length);
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat([Buffer.from([0x93, ...Buffer.from('NUMPY'), version, 0]), len, header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
    return path;
  }

  function files(): string[] {
    return [
      engineSafetensors(),
      npy('logits.npy', '<f4', [2, 4], new Float32Array(values)),
      npy('fortran.npy', '<f4', [2, 4], new Float32Array(values), { fortran: true }),
      npy('half-v2.npy', '<f2', [8], f32ToF16(new Float32Array(values)), { version: 2 }),
      npy('ids.npy', '<i8', [3], new BigInt64Array([1n, -2n, 2n ** 40n])),
      npy('scalar.npy', '<f8', [], new Float64Array([0.1])),
      npy('truncated.npy', '<f4', [3], new Float32Array([1, 2])),
    ];
  }

  const check = (read: Read, viaNumpy: boolean) => {
    const st = read['engine.safetensors']!;
    expect(st.order).toEqual(['blocks.0.hook_resid_post', 'half', 'brain', 'ids', 'big', 'scalar']);
    expect(st.metadata).toEqual({ format: 'pt', written_by: 'featurescope' });
    const t = st.tensors!;
    expect(t['blocks.0.hook_resid_post']!.values).toEqual([values.slice(0, 4), values.slice(4)]);
    expect(t.half!.values).toEqual([values.slice(0, 2), values.slice(2, 4), values.slice(4, 6), values.slice(6)]);
    expect(t.brain!.values).toEqual(values);
    expect(t.ids!.values).toEqual([7, -1, 2 ** 31 - 1]);
    expect(t.big!.values).toEqual([2 ** 40, -3]);
    expect(t.scalar!.values).toBe(2.5);
    // The engine's own reader agrees on its file.
    const file = SafetensorsFile.open(join(dir, 'engine.safetensors'));
    expect(Array.from(file.readFloat32('brain'))).toEqual(t.brain!.values);
    if (viaNumpy) {
      expect(t.half).toMatchObject({ kind: 'ndarray', dtype: 'float16', shape: [4, 2] });
      expect(t.brain).toMatchObject({ kind: 'ndarray', dtype: 'float32', shape: [8] });
      expect(t.big).toMatchObject({ dtype: 'int64' });
    } else expect(t.half!.kind).toBe('list');

    expect(read['logits.npy']!.array!.values).toEqual([values.slice(0, 4), values.slice(4)]);
    // Fortran order: element (i, j) is stored at i + 2·j.
    expect(read['fortran.npy']!.array!.values).toEqual([
      [values[0], values[2], values[4], values[6]],
      [values[1], values[3], values[5], values[7]],
    ]);
    expect(read['half-v2.npy']!.array!.values).toEqual(values);
    expect(read['ids.npy']!.array!.values).toEqual([1, -2, 2 ** 40]);
    expect(read['scalar.npy']!.array!.values).toBe(0.1);
    expect(read['truncated.npy']!.error).toBe(`${join(dir, 'truncated.npy')}: shape [3] of <f4 needs 12 data bytes, the file has 8`);
    if (viaNumpy) for (const name of ['logits.npy', 'fortran.npy', 'half-v2.npy', 'ids.npy', 'scalar.npy']) expect(read[name]!.numpyAgrees, name).toBe(true);
  };

  it('reads the engine-written safetensors (F32, F16, BF16, I32, I64, a scalar) and .npy files, as numpy arrays equal to numpy.load where numpy is', async () => {
    check(await python<Read>(READERS, files()), HAS_NUMPY);
  });

  it('reads the same files as nested lists where numpy cannot be imported', async () => {
    check(await python<Read>(READERS, files(), { FEATURESCOPE_TEST_HIDE_NUMPY: '1' }), false);
  });

  it('refuses a safetensors file with trailing bytes or a gap between tensors, naming the file and the rule', async () => {
    const withTrailing = join(dir, 'trailing.safetensors');
    writeFileSync(withTrailing, Buffer.concat([readFileSync(engineSafetensors()), Buffer.from([0, 0, 0, 0])]));
    // Two F32 tensors of 4 bytes with 4 unclaimed bytes between them.
    const header = Buffer.from(JSON.stringify({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const withGap = join(dir, 'gap.safetensors');
    writeFileSync(withGap, Buffer.concat([length, header, Buffer.alloc(12)]));
    const read = await python<Read>(READERS, [withTrailing, withGap]);
    expect(read['trailing.safetensors']!.error).toMatch(/: the tensors cover \d+ data bytes, the file has \d+$/);
    expect(read['trailing.safetensors']!.error!.startsWith(`${withTrailing}: `)).toBe(true);
    expect(read['gap.safetensors']!.error).toBe(`${withGap}: tensor 'b' starts at byte 8, not 4 (a gap or an overlap)`);
  });
});
