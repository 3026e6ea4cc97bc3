// Requests that used to kill `featurescope serve` (issue #19, findings 1 and 2), each sent to a live
// server process, which must answer with a status or close code and keep serving.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeCodeIn, expectServing, get, rawExchange, rawWebSocket, sendFrames, startLiveServe, wsFrame, type LiveServe } from './serve-live';

let live: LiveServe | undefined;
const dead: LiveServe[] = [];

// One process for all cases while it survives; a case that kills it gets a fresh one for the next.
beforeEach(async () => {
  if (live && !live.alive()) {
    dead.push(live);
    live = undefined;
  }
  live ??= await startLiveServe();
});
afterEach(async () => {
  await expectServing(live!);
});
afterAll(async () => {
  // Whatever it logged about these requests, it never wrote the token (DESIGN §5: never in logs).
  for (const s of [...dead, live]) expect(s?.stderr().includes(s.token)).not.toBe(true);
  for (const s of [...dead, live]) await s?.stop();
});

const statusOf = (reply: Buffer) => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply.toString('latin1'))?.[1]);
const browserUpgrade = () => ({ origin: `http://127.0.0.1:${live!.port}`, authorization: `Bearer ${live!.token}` });

describe('finding 1: an unauthenticated request cannot crash serve mode', () => {
  // `//[` is a path on this server like any other (it used to be parsed as a host and throw).
  it('answers 401 to GET //[ (what <img src="http://127.0.0.1:PORT//["> sends)', async () => {
    const reply = await rawExchange(live!.port, `GET //[ HTTP/1.1\r\nHost: 127.0.0.1:${live!.port}\r\nConnection: close\r\n\r\n`);
    expect(statusOf(reply)).toBe(401);
  });

  it('answers 404 to a WebSocket upgrade on //[ (what new WebSocket("ws://127.0.0.1:PORT//[") sends)', async () => {
    const upgrade = [`GET //[ HTTP/1.1`, `Host: 127.0.0.1:${live!.port}`, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13', `Origin: https://evil.example`];
    const reply = await rawExchange(live!.port, `${upgrade.join('\r\n')}\r\n\r\n`);
    expect(statusOf(reply)).toBe(404);
  });

  it('answers 400 to request targets that are not a path here, on HTTP and on the upgrade', async () => {
    for (const target of ['*', 'http://[', 'http://evil.example/']) {
      const http = await rawExchange(live!.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${live!.port}\r\nConnection: close\r\n\r\n`);
      const ws = await rawExchange(live!.port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${live!.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      expect([target, statusOf(http), statusOf(ws)]).toEqual([target, 400, 400]);
    }
  });
});

describe('finding 2: an authenticated client cannot crash serve mode', () => {
  it('closes with 1009 a WebSocket frame over 16 MB', async () => {
    const socket = await rawWebSocket(live!.port, '/ws', browserUpgrade());
    // The header announces 16 MiB + 1; the server must refuse on the length, before the payload arrives.
    const reply = await sendFrames(socket, [wsFrame({ opcode: 0x2, length: 16 * 1024 * 1024 + 1, payload: Buffer.alloc(1024) })]);
    expect(closeCodeIn(reply)).toBe(1009);
  });

  it('closes with 1009 a fragmented message whose parts add up to over 16 MB', async () => {
    const socket = await rawWebSocket(live!.port, '/ws', browserUpgrade());
    const part = Buffer.alloc(9 * 1024 * 1024, 0x61);
    const reply = await sendFrames(socket, [wsFrame({ opcode: 0x1, fin: false, payload: part }), wsFrame({ opcode: 0x0, fin: true, payload: part })], 1000);
    expect(closeCodeIn(reply)).toBe(1009);
  });

  it('closes with 1007 a 3-byte text frame of invalid UTF-8', async () => {
    const socket = await rawWebSocket(live!.port, '/ws', browserUpgrade());
    const reply = await sendFrames(socket, [wsFrame({ opcode: 0x1, payload: Buffer.from([0xe2, 0x28, 0xa1]) })]);
    expect(closeCodeIn(reply)).toBe(1007);
  });

  it('answers 400 to a malformed percent-escape in a static path (GET /%c0%ae with the session cookie)', async () => {
    const first = await get(live!.port, `/?token=${live!.token}`);
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    const appPath = String(first.headers.location).split('?')[0]!;
    expect((await get(live!.port, `${appPath}%c0%ae`, { cookie })).status).toBe(400);
  });
});
