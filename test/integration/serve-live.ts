// A live `featurescope serve` child process for the serve-mode tests, and raw-socket tools to talk
// to it below the level of an HTTP or WebSocket client library (so malformed input reaches it as sent).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { builtDir } from './helpers';

/** The address `serve` prints: one http://127.0.0.1:PORT/…?token=… line. */
export const SERVE_URL = /http:\/\/127\.0\.0\.1:\d+\/\S*\?token=[0-9a-f]{64}/;

export interface LiveServe {
  child: ChildProcess;
  url: URL;
  port: number;
  token: string;
  /** What the process wrote to stderr (its logs), for failure messages. */
  stderr(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

/** Start `node bin/featurescope.js serve` on a throwaway FEATURESCOPE_HOME, as a user would. */
export async function startLiveServe(): Promise<LiveServe> {
  if (!existsSync(join(builtDir, 'cli.js'))) throw new Error('Build first: npx electron-vite build (the serve tests run the built CLI).');
  const home = mkdtempSync(join(tmpdir(), 'featurescope-serve-'));
  const bin = resolve(__dirname, '../../bin/featurescope.js');
  const child = spawn(process.execPath, [bin, 'serve'], { env: { ...process.env, FEATURESCOPE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  const printed = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`serve printed no URL in 120 s:\n${out}\n${err}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = SERVE_URL.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[0]);
      }
    });
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}:\n${out}\n${err}`)));
  });
  const url = new URL(printed);
  return {
    child,
    url,
    port: Number(url.port),
    token: url.searchParams.get('token')!,
    stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP GET to the server with exactly these headers (Host defaults to the server's own). */
export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

/**
 * What the server writes back on `socket` until it closes or goes quiet for `quietMs`; `start` sends
 * the bytes and is handed the quiet timer to arm once they are written.
 */
function readUntilQuiet(socket: Socket, quietMs: number, start: (idle: () => void) => void): Promise<Buffer> {
  return new Promise((ok) => {
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      ok(Buffer.concat(chunks));
    };
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', (d) => {
      chunks.push(d);
      idle();
    });
    start(idle);
  });
}

/** Write raw bytes on a fresh TCP connection; resolve with what came back before it closed or went quiet. */
export function rawExchange(port: number, bytes: Buffer | string, quietMs = 300): Promise<Buffer> {
  const socket = connect(port, '127.0.0.1');
  return readUntilQuiet(socket, quietMs, (idle) => socket.on('connect', () => socket.write(bytes, () => idle())));
}

/** A client WebSocket frame (masked, as RFC 6455 requires of clients). `length` may lie about the payload. */
export function wsFrame(opts: { opcode: number; payload?: Buffer; fin?: boolean; rsv?: number; length?: number | bigint; masked?: boolean }): Buffer {
  const payload = opts.payload ?? Buffer.alloc(0);
  const length = opts.length ?? payload.length;
  const masked = opts.masked ?? true;
  const first = ((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | (opts.opcode & 0x0f);
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, (masked ? 0x80 : 0) | Number(length)]);
  else if (length < 65536) {
    header = Buffer.alloc(4);
    header.writeUInt8(first, 0);
    header.writeUInt8((masked ? 0x80 : 0) | 126, 1);
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header.writeUInt8(first, 0);
    header.writeUInt8((masked ? 0x80 : 0) | 127, 1);
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!masked) return Buffer.concat([header, payload]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i % 4]!;
  return Buffer.concat([header, mask, body]);
}

/** The frames a server wrote (unmasked, as RFC 6455 requires of servers); a truncated last one is left out. */
export function framesIn(bytes: Buffer): { opcode: number; payload: Buffer }[] {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let len = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (len === 126) {
      if (start + 2 > bytes.length) break;
      len = bytes.readUInt16BE(start);
      start += 2;
    } else if (len === 127) {
      if (start + 8 > bytes.length) break;
      len = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (start + len > bytes.length) break;
    frames.push({ opcode, payload: bytes.subarray(start, start + len) });
    at = start + len;
  }
  return frames;
}

/** The close code of the first close frame the server sent, if any (1005 when it carried none). */
export function closeCodeIn(bytes: Buffer): number | undefined {
  const close = framesIn(bytes).find((f) => f.opcode === 0x8);
  if (!close) return undefined;
  return close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005;
}

/** Open a WebSocket over a raw TCP socket with a real handshake, and hand back the socket once it is upgraded. */
export function rawWebSocket(port: number, path: string, headers: Record<string, string>): Promise<Socket> {
  return new Promise((ok, fail) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', fail);
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    let seen = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      seen = Buffer.concat([seen, d]);
      const end = seen.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const head = seen.subarray(0, end).toString();
      if (!head.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        fail(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
        return;
      }
      socket.off('error', fail);
      const rest = seen.subarray(end + 4);
      if (rest.length) socket.unshift(rest);
      ok(socket);
    };
    socket.on('data', onData);
    socket.on('connect', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
  });
}

/** Send frames on an upgraded raw socket; resolve with what the server wrote back until it closed or went quiet. */
export function sendFrames(socket: Socket, frames: Buffer[], quietMs = 300): Promise<Buffer> {
  return readUntilQuiet(socket, quietMs, (idle) => {
    socket.write(Buffer.concat(frames), () => idle());
    idle();
  });
}

/** One command over a script's WebSocket (Bearer token, no Origin); resolves with the reply frame. */
export function callOverWebSocket(port: number, token: string, command: string, input: unknown = {}, path = '/ws'): Promise<{ ok: boolean }> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const timer = setTimeout(() => {
      ws.terminate();
      fail(new Error(`no reply to ${command} in 20 s`));
    }, 20_000);
    ws.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, command, input })));
    ws.on('message', (d) => {
      const frame = JSON.parse(String(d)) as { id?: number; ok: boolean };
      if (frame.id !== 1) return;
      clearTimeout(timer);
      ws.close();
      ok(frame);
    });
  });
}

/** The server is up and serves an authenticated client: the app page over HTTP and a command over the WebSocket. */
export async function expectServing(live: LiveServe): Promise<void> {
  if (!live.alive()) throw new Error(`serve died (exit ${live.child.exitCode}, signal ${live.child.signalCode}):\n${live.stderr()}`);
  const page = await get(live.port, '/', { authorization: `Bearer ${live.token}` });
  if (page.status !== 200 || !page.body.includes('<div id="root">')) throw new Error(`authenticated GET / answered ${page.status}`);
  const reply = await callOverWebSocket(live.port, live.token, 'app.doctor');
  if (!reply.ok) throw new Error('app.doctor over the WebSocket failed');
}
