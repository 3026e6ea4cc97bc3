// Property: no bytes a client can send kill serve mode. fast-check generates batches of raw HTTP
// requests, WebSocket upgrades and WebSocket frame sequences (after a real upgrade), writes them over
// net.Socket to a live `featurescope serve` process, and after every batch checks that the process is
// alive and still serves an authenticated client (the app page, and a command over the WebSocket).
// Bounded: FUZZ_RUNS batches (default 200) or FUZZ_SECONDS (default 60), whichever ends first.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeCodeIn, expectServing, framesIn, get, rawExchange, rawWebSocket, sendFrames, startLiveServe, wsFrame, type LiveServe } from './serve-live';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);

let live: LiveServe;
let appPath = '';
beforeAll(async () => {
  live = await startLiveServe();
  appPath = String((await get(live.port, `/?token=${live.token}`)).headers.location).replace(/\/$/, '');
});
afterAll(async () => {
  await live?.stop();
});

/** Generated text names the live server's secrets by placeholder; they are filled in when sent. */
const fill = (text: string) => text.replaceAll('{PORT}', String(live.port)).replaceAll('{TOKEN}', live.token).replaceAll('{APP}', appPath);

// --- HTTP request lines and headers -------------------------------------------------------------

/** Weighted choice: the first arbitraries are the likely ones, the rest the wild ones. */
const mostly = <T>(likely: fc.Arbitrary<T>, wild: fc.Arbitrary<T>, weight = 4) => fc.oneof({ arbitrary: likely, weight }, { arbitrary: wild, weight: 1 });
const printable = fc.string({ unit: fc.mapToConstant({ num: 94, build: (v) => String.fromCharCode(0x21 + v) }), maxLength: 6 });
const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const headerName = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });

const pathPiece = mostly(
  fc.constantFrom('/', '//', '[', ']', '%', '%c0%ae', '%zz', '%00', '%2e%2e/', '../', '..%2f', '?', '?token=', '?token={TOKEN}', '&token=x', '=', '#', '\\', '@', ':', 'ws', 's/', 'assets/', 'index.html', '%ff', '%e2%28%a1', '\u00ff', 'é', '😀', '*'),
  mostly(printable, fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(' ', '\t', '\u0000', '\r\n'))),
  3,
);
const path = fc.array(pathPiece, { maxLength: 8 }).map((p) => p.join(''));
const target = mostly(
  fc.oneof(
    path.map((p) => `{APP}/${p}`),
    path.map((p) => `/${p}`),
    path.map((p) => `/ws${p}`),
    fc.constantFrom('{APP}', '{APP}/', '/', '/?token={TOKEN}', '{APP}/ws', '/ws?token={TOKEN}'),
  ),
  fc.oneof(fc.constantFrom('*', 'http://[', 'http://127.0.0.1:{PORT}/', 'localhost:{PORT}', ''), path),
);
const method = mostly(fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST'), fc.oneof(fc.constantFrom('PUT', 'OPTIONS', 'CONNECT', 'TRACE', 'BREW', 'G T', ''), fc.string({ maxLength: 5 })));
const version = mostly(fc.constant('HTTP/1.1'), fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/9.9', 'HTTP/1.1 x', ''), 6);
const hostHeader = mostly(fc.constantFrom('Host: 127.0.0.1:{PORT}', 'Host: localhost:{PORT}'), fc.constantFrom('Host: evil.example', 'Host: ', 'Host: 127.0.0.1:{PORT}\r\nHost: evil.example', 'Host: 127.0.0.1:1'), 6);
const authHeader = mostly(
  fc.constantFrom('Cookie: featurescope_{PORT}={TOKEN}', 'Authorization: Bearer {TOKEN}', 'Origin: http://127.0.0.1:{PORT}'),
  fc.constantFrom('Cookie: featurescope_{PORT}=', 'Cookie: ;;==;featurescope_{PORT}', 'Cookie: featurescope_{PORT}={TOKEN}x', 'Authorization: Bearer ', 'Authorization: Basic eA==', 'Origin: null', 'Origin: https://evil.example', 'Origin: '),
  2,
);
const header = fc.oneof(
  { arbitrary: authHeader, weight: 12 },
  { arbitrary: fc.constantFrom('Upgrade: websocket', 'Connection: Upgrade', 'Connection: keep-alive, Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Key: x', 'Sec-WebSocket-Extensions: permessage-deflate', 'Sec-WebSocket-Protocol: a, , b'), weight: 9 },
  { arbitrary: fc.constantFrom('Content-Length: 5', 'Content-Length: -1', 'Content-Length: 99999999999999999999', 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked\r\nContent-Length: 3', 'Expect: 100-continue', 'Connection: close'), weight: 3 },
  { arbitrary: fc.tuple(mostly(headerName, fc.string({ maxLength: 12 })), fc.string({ maxLength: 40 })).map(([k, v]) => `${k}: ${v}`), weight: 3 },
  { arbitrary: fc.integer({ min: 1, max: 40_000 }).map((n) => `X-Big: ${'a'.repeat(n)}`), weight: 1 }, // past 16 KB of headers: 431
);
const httpRequest = fc
  .record({ method, target, version, host: fc.option(hostHeader, { freq: 8 }), headers: fc.array(header, { maxLength: 6 }), body: mostly(fc.constant(''), fc.string({ maxLength: 40 })) })
  .map((r) => ({ kind: 'http' as const, text: `${r.method} ${r.target} ${r.version}\r\n${[...(r.host ? [r.host] : []), ...r.headers].join('\r\n')}\r\n\r\n${r.body}` }));
const rawBytes = fc.uint8Array({ maxLength: 300 }).map((b) => ({ kind: 'bytes' as const, bytes: Buffer.from(b) }));

// --- WebSocket frames after a valid upgrade -----------------------------------------------------

const commandFrame = fc
  .record({
    id: fc.oneof(fc.integer(), fc.constant('1' as unknown as number)),
    command: fc.oneof(fc.constantFrom('app.doctor', 'jobs.list', 'catalog.saes', 'catalog.tags', 'model.list', 'capture.list', 'watchlist.list', 'jobs.get', 'jobs.cancel', '__proto__', 'constructor'), fc.string({ maxLength: 12 })),
    input: fc.jsonValue({ maxDepth: 3 }),
  })
  .map((f) => Buffer.from(JSON.stringify(f)));
const payload = fc.oneof(
  commandFrame,
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.constantFrom(Buffer.from([0xe2, 0x28, 0xa1]), Buffer.from([0xc0, 0xae]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf4, 0x90, 0x80, 0x80]), Buffer.from([0xff])),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 0, max: 5000 }).map((code) => Buffer.from([code >> 8, code & 0xff])), // close codes, valid or not
  fc.integer({ min: 126, max: 70_000 }).map((n) => Buffer.alloc(n, 0x61)),
);
// Well-formed frames (the server must act on them), whole fragmented messages (with a ping between
// fragments, which RFC 6455 allows), and wild frames (any opcode, RSV bits, unmasked, lying lengths).
const wellFormed = fc
  .record({ opcode: fc.constantFrom(0x1, 0x1, 0x1, 0x2, 0x9, 0xa), payload: mostly(commandFrame, payload) })
  .map(({ opcode, payload: p }) => [wsFrame({ opcode, payload: opcode >= 0x8 ? p.subarray(0, 125) : p })]);
const fragmented = fc
  .record({ opcode: fc.constantFrom(0x1, 0x2), message: mostly(commandFrame, payload), cuts: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), ping: fc.boolean() })
  .map(({ opcode, message, cuts, ping }) => {
    const at = [...new Set(cuts.map((c) => c % (message.length + 1)))].sort((x, y) => x - y);
    const parts = [0, ...at].map((from, i) => message.subarray(from, [...at, message.length][i]));
    const frames = parts.map((part, i) => wsFrame({ opcode: i === 0 ? opcode : 0x0, fin: i === parts.length - 1, payload: part }));
    if (ping && frames.length > 1) frames.splice(1, 0, wsFrame({ opcode: 0x9, payload: Buffer.from('ping') }));
    return frames;
  });
const wild = fc
  .record({
    opcode: fc.integer({ min: 0, max: 15 }),
    fin: fc.boolean(),
    rsv: fc.integer({ min: 0, max: 7 }),
    masked: mostly(fc.constant(true), fc.constant(false)),
    payload,
    // A length that lies: more than sent (the server waits), over 16 MiB (1009), over 2^53 (1009).
    length: fc.option(fc.oneof(fc.constant(16 * 1024 * 1024 + 1), fc.integer({ min: 0, max: 2 ** 40 }), fc.constant(2n ** 63n), fc.constant(2n ** 64n - 1n)), { freq: 2 }),
  })
  .map((f) => [wsFrame({ ...f, length: f.length ?? undefined })]);
// A frame announcing more than the 16 MiB limit (or more than 2^53): refused on the header, 1009.
const oversized = fc
  .record({ opcode: fc.constantFrom(0x0, 0x1, 0x2), length: fc.oneof(fc.integer({ min: 16 * 1024 * 1024 + 1, max: 2 ** 53 - 1 }), fc.constant(2n ** 63n), fc.constant(2n ** 64n - 1n)), payload: fc.uint8Array({ maxLength: 64 }) })
  .map(({ opcode, length, payload: p }) => [wsFrame({ opcode, length, payload: Buffer.from(p) })]);
const wsSession = fc
  .record({
    via: fc.constantFrom('bearer', 'cookie'),
    frames: fc.array(fc.oneof({ arbitrary: wellFormed, weight: 6 }, { arbitrary: fragmented, weight: 2 }, { arbitrary: wild, weight: 1 }, { arbitrary: oversized, weight: 1 }), { minLength: 1, maxLength: 5 }).map((f) => f.flat()),
    split: fc.boolean(),
  })
  .map((s) => ({ kind: 'ws' as const, ...s }));

const anyCase = fc.oneof({ arbitrary: httpRequest, weight: 4 }, { arbitrary: rawBytes, weight: 1 }, { arbitrary: wsSession, weight: 4 });
type Case = typeof anyCase extends fc.Arbitrary<infer T> ? T : never;

const counts = { batches: 0, http: 0, bytes: 0, ws: 0, frames: 0, replies: 0 };
/** What the server answered: HTTP statuses (or 'none': it just closed) and WebSocket close codes. */
const answers = new Map<string, number>();
const tally = (key: string) => answers.set(key, (answers.get(key) ?? 0) + 1);
const statusOf = (reply: Buffer) => /^HTTP\/1\.[01] (\d{3})/.exec(reply.toString('latin1'))?.[1] ?? 'none';

async function send(c: Case): Promise<void> {
  counts[c.kind]++;
  if (c.kind === 'http') tally(`http ${statusOf(await rawExchange(live.port, Buffer.from(fill(c.text)), 60))}`);
  else if (c.kind === 'bytes') tally(`http ${statusOf(await rawExchange(live.port, c.bytes, 60))}`);
  else {
    const headers: Record<string, string> = c.via === 'bearer' ? { authorization: `Bearer ${live.token}` } : { origin: `http://127.0.0.1:${live.port}`, cookie: `featurescope_${live.port}=${live.token}` };
    const socket = await rawWebSocket(live.port, c.via === 'bearer' ? '/ws' : `${appPath}/ws`, headers);
    counts.frames += c.frames.length;
    // Either all frames in one write, or every frame split in two writes (a frame across TCP segments).
    const chunks = c.split ? c.frames.flatMap((f) => [f.subarray(0, f.length >> 1), f.subarray(f.length >> 1)]) : c.frames;
    const reply = await sendFrames(socket, chunks, 150);
    tally(`ws close ${closeCodeIn(reply) ?? 'none'}`);
    counts.replies += framesIn(reply).filter((f) => f.opcode === 0x1 && f.payload.includes('"id"')).length;
  }
}

it('serve mode survives fuzzed HTTP requests, upgrades and WebSocket frames', async () => {
  const t0 = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(anyCase, { minLength: 1, maxLength: 8 }), async (batch) => {
      counts.batches++;
      await Promise.all(batch.map(send));
      await expectServing(live);
    }),
    { numRuns: RUNS, interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false, endOnFailure: true },
  );
  const seconds = (Date.now() - t0) / 1000;
  console.log(`serve fuzz: ${counts.batches} batches, ${counts.http} HTTP requests, ${counts.bytes} raw byte strings, ${counts.ws} WebSocket sessions with ${counts.frames} frames (${counts.replies} command replies), in ${seconds.toFixed(1)} s`);
  console.log(`answers: ${[...answers].sort().map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  expect(counts.batches).toBeGreaterThan(0);
  await expectServing(live);
  expect(live.stderr().includes(live.token), 'serve wrote its token to its log').toBe(false);
}, 180_000);
