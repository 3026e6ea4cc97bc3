"""Talk to `featurescope serve` from Python: the standard library only.

    from featurescope_client import Featurescope
    fs = Featurescope.connect("http://127.0.0.1:8765/?token=...")   # the address serve printed
    r = fs.run(prompt="The capital of France is")
    r.top(5)                       # [(" Paris", 0.41), ...]
    fs.sae_features("first-sae", q="def")
    job = fs.start_job("engine.benchmark", {"size": 256, "seconds": 1})
    job.wait(on_progress=lambda p: print(p["fraction"]))

The protocol (JSON frames over a WebSocket, the browser's cookie auth, jobs and their events) is
described in docs/protocol.md, with every command's input and output. `fs.call(command, input)`
sends any of them. Numeric vectors in results, and the tensors `read_npy` / `read_safetensors`
read, are numpy arrays when numpy is importable and (nested) lists otherwise.
"""

from __future__ import annotations

import ast
import base64
import collections
import hashlib
import http.client
import json
import math
import os
import select
import socket
import struct
import sys
import time
import urllib.parse

try:  # optional: arrays come back as numpy arrays when it is there
    import numpy as _np
except ImportError:  # pragma: no cover - exercised by the tests with numpy hidden
    _np = None

__all__ = [
    "Featurescope",
    "Job",
    "RunResult",
    "FeaturescopeError",
    "AuthError",
    "ConnectionClosed",
    "FormatError",
    "read_npy",
    "read_safetensors",
]


# --------------------------------------------------------------------------------------------------
# Errors


class FeaturescopeError(Exception):
    """An error the server answered (`code`, `message`, `field` as in docs/protocol.md), or one of
    this client's own (codes `unauthorized`, `forbidden`, `connection_closed`, `protocol`)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.code}: {self.message}{where}"


class AuthError(FeaturescopeError):
    """The server refused to let us in: `status` is its HTTP answer (401 wrong token, 403 foreign Host/Origin)."""

    def __init__(self, status: int, message: str):
        super().__init__("unauthorized" if status == 401 else "forbidden" if status == 403 else f"http_{status}", message)
        self.status = status


class ConnectionClosed(FeaturescopeError):
    """The WebSocket closed: `close_code` is the RFC 6455 code (1000 normal, 1003 bad frame, 1009 too big…)."""

    def __init__(self, close_code: int | None, reason: str):
        said = f" ({reason})" if reason else ""
        super().__init__("connection_closed", f"the connection closed with code {close_code}{said}")
        self.close_code = close_code
        self.reason = reason


class FormatError(ValueError):
    """A .npy or .safetensors file that breaks a rule of its format; the message names the file and the rule."""


# --------------------------------------------------------------------------------------------------
# A minimal RFC 6455 WebSocket client: masked client frames, fragmented messages both ways, ping/pong,
# close codes. Frames are parsed from a buffer only once complete, so a timeout never leaves half a
# frame consumed.

_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_OP_CONT, _OP_TEXT, _OP_BINARY, _OP_CLOSE, _OP_PING, _OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
#: Outgoing messages are sent in fragments of this size (the server reassembles them).
FRAGMENT_BYTES = 1 << 20
#: An incoming message over this is refused with close code 1009 (the server's own cap is 16 MiB for
#: what it receives; its answers, a feature page or a long run, stay well under this).
MAX_MESSAGE_BYTES = 256 << 20


def _mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return payload
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")


def _frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 1 << 16:
        head.append(0x80 | 126)
        head += struct.pack(">H", n)
    else:
        head.append(0x80 | 127)
        head += struct.pack(">Q", n)
    key = os.urandom(4)
    return bytes(head) + key + _mask(payload, key)


class _WebSocket:
    def __init__(self, sock: socket.socket, leftover: bytes):
        self._sock = sock
        self._buf = bytearray(leftover)
        self._parts: list[bytes] = []
        self._part_opcode: int | None = None
        self._close_sent = False
        self.closed = False

    @classmethod
    def open(cls, host: str, port: int, path: str, headers: dict[str, str], timeout: float) -> "_WebSocket":
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            lines = [
                f"GET {path} HTTP/1.1",
                f"Host: {host}:{port}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Key: {key}",
                "Sec-WebSocket-Version: 13",
            ] + [f"{k}: {v}" for k, v in headers.items()]
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    raise FeaturescopeError("protocol", "the server closed the connection during the WebSocket handshake")
                head += chunk
                if len(head) > 65536:
                    raise FeaturescopeError("protocol", "the WebSocket handshake answer is over 64 KiB")
            head, leftover = head.split(b"\r\n\r\n", 1)
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            parts = status_line.split(" ", 2)
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
            if status != 101:
                raise AuthError(status, f"the server refused the WebSocket upgrade: {status_line}")
            answered = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                answered[name.strip().lower()] = value.strip()
            expected = base64.b64encode(hashlib.sha1(key.encode() + _WS_GUID).digest()).decode()
            if answered.get("sec-websocket-accept") != expected:
                raise FeaturescopeError("protocol", "the server's Sec-WebSocket-Accept does not match our key")
            sock.settimeout(None)
            return cls(sock, leftover)
        except BaseException:
            sock.close()
            raise

    def send_text(self, text: str) -> None:
        data = text.encode("utf-8")
        if len(data) <= FRAGMENT_BYTES:
            self._sock.sendall(_frame(_OP_TEXT, data))
            return
        chunks = [data[i : i + FRAGMENT_BYTES] for i in range(0, len(data), FRAGMENT_BYTES)]
        for i, chunk in enumerate(chunks):
            self._sock.sendall(_frame(_OP_TEXT if i == 0 else _OP_CONT, chunk, fin=i == len(chunks) - 1))

    def recv_text(self, deadline: float | None) -> str:
        """The next whole text message; raises TimeoutError at the deadline, ConnectionClosed on close."""
        while True:
            frame = self._take_frame()
            if frame is None:
                self._fill(deadline)
                continue
            fin, opcode, payload = frame
            if opcode == _OP_PING:
                self._sock.sendall(_frame(_OP_PONG, payload))
            elif opcode == _OP_PONG:
                pass
            elif opcode == _OP_CLOSE:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                reason = payload[2:].decode("utf-8", "replace")
                self._answer_close(payload[:2])
                raise ConnectionClosed(code, reason)
            elif opcode in (_OP_TEXT, _OP_BINARY):
                if self._part_opcode is not None:
                    self._fail(1002, "a new message started inside a fragmented one")
                if fin:
                    return self._decode(opcode, payload)
                self._part_opcode, self._parts = opcode, [payload]
            elif opcode == _OP_CONT:
                if self._part_opcode is None:
                    self._fail(1002, "a continuation frame with no message to continue")
                self._parts.append(payload)
                if sum(map(len, self._parts)) > MAX_MESSAGE_BYTES:
                    self._fail(1009, f"a message over {MAX_MESSAGE_BYTES} bytes")
                if fin:
                    opcode, data = self._part_opcode, b"".join(self._parts)
                    self._part_opcode, self._parts = None, []
                    return self._decode(opcode, data)
            else:
                self._fail(1002, f"unknown opcode {opcode}")

    def _decode(self, opcode: int, data: bytes) -> str:
        if opcode == _OP_BINARY:
            self._fail(1003, "the server sent a binary message; the protocol is JSON text")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self._fail(1007, "a text message that is not UTF-8")
            raise  # unreachable: _fail raises

    def _take_frame(self) -> tuple[bool, int, bytes] | None:
        buf = self._buf
        if len(buf) < 2:
            return None
        b0, b1 = buf[0], buf[1]
        if b0 & 0x70:
            self._fail(1002, "reserved bits set (no extension was negotiated)")
        if b1 & 0x80:
            self._fail(1002, "a server frame must not be masked")
        opcode, n, at = b0 & 0x0F, b1 & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                return None
            n, at = struct.unpack(">H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                return None
            n, at = struct.unpack(">Q", buf[2:10])[0], 10
        if opcode >= 0x8 and (n > 125 or not b0 & 0x80):
            self._fail(1002, "a control frame over 125 bytes or fragmented")
        if n > MAX_MESSAGE_BYTES:
            self._fail(1009, f"a frame over {MAX_MESSAGE_BYTES} bytes")
        if len(buf) < at + n:
            return None
        payload = bytes(buf[at : at + n])
        del buf[: at + n]
        return bool(b0 & 0x80), opcode, payload

    def _fill(self, deadline: float | None) -> None:
        if self.closed:
            raise ConnectionClosed(None, "closed by this client")
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([self._sock], [], [], wait)
        if not ready:
            raise TimeoutError("no answer from the server in time")
        chunk = self._sock.recv(1 << 16)
        if not chunk:
            self.closed = True
            self._sock.close()
            raise ConnectionClosed(1006, "the connection dropped without a close frame")
        self._buf += chunk

    def _fail(self, code: int, why: str) -> None:
        self._close_sent = True
        try:
            self._sock.sendall(_frame(_OP_CLOSE, struct.pack(">H", code) + why.encode()[:120]))
        except OSError:
            pass
        self.closed = True
        self._sock.close()
        raise FeaturescopeError("protocol", f"{why} (closed with {code})")

    def _answer_close(self, code: bytes) -> None:
        """The server closed: echo its code (unless we closed first), then drop the connection."""
        if not self._close_sent:
            self._close_sent = True
            try:
                self._sock.sendall(_frame(_OP_CLOSE, code))
            except OSError:
                pass
        self.closed = True
        self._sock.close()

    def close(self, code: int = 1000, timeout: float = 2.0) -> None:
        """Send a close frame, wait briefly for the server's, then drop the connection."""
        if self.closed:
            return
        try:
            self._close_sent = True
            self._sock.sendall(_frame(_OP_CLOSE, struct.pack(">H", code)))
            deadline = time.monotonic() + timeout
            while True:
                self.recv_text(deadline)  # drain until the server's close frame
        except (ConnectionClosed, TimeoutError, OSError, FeaturescopeError):
            pass
        finally:
            self.closed = True
            self._sock.close()


# --------------------------------------------------------------------------------------------------
# Arrays


def _array(values, dtype: str | None = None):
    """A numpy array when numpy is there, else the list as it came."""
    if _np is None:
        return list(values)
    return _np.asarray(values, dtype=dtype)


def _reshape(flat: list, shape: tuple[int, ...], fortran: bool = False):
    """Nested lists of `shape` from a flat list in C order (or Fortran order)."""
    if len(shape) == 0:
        return flat[0]
    if fortran and len(shape) > 1:
        # Element (i0, i1, …) sits at i0 + s0·(i1 + s1·(…)); rebuild it in C order.
        strides, acc = [], 1
        for s in shape:
            strides.append(acc)
            acc *= s
        total = acc

        def at(c_index: int) -> object:
            offset, rest = 0, c_index
            for axis in range(len(shape) - 1, -1, -1):
                offset += (rest % shape[axis]) * strides[axis]
                rest //= shape[axis]
            return flat[offset]

        flat = [at(i) for i in range(total)]

    def build(at: int, axis: int) -> list:
        if axis == len(shape) - 1:
            return flat[at : at + shape[axis]]
        step = math.prod(shape[axis + 1 :])
        return [build(at + i * step, axis + 1) for i in range(shape[axis])]

    return build(0, 0)


def _bf16_to_f32_bytes(raw: bytes) -> bytes:
    """bfloat16 is the top half of a float32: widen each little-endian u16 to a u32 shifted left 16."""
    n = len(raw) // 2
    halves = struct.unpack(f"<{n}H", raw)
    return struct.pack(f"<{n}I", *(h << 16 for h in halves))


#: struct codes of little-endian element types, for the list path (no numpy).
_STRUCT = {"f8": "d", "f4": "f", "f2": "e", "i8": "q", "i4": "i", "i2": "h", "i1": "b", "u8": "Q", "u4": "I", "u2": "H", "u1": "B", "b1": "?"}


def _decode_elements(raw: bytes, kind: str, endian: str, count: int) -> list:
    code = _STRUCT[kind]
    return list(struct.unpack(f"{endian}{count}{code}", raw))


# --------------------------------------------------------------------------------------------------
# .npy


#: Over this an .npy header is refused (numpy's own reader refuses over 10 000 bytes unless asked).
MAX_NPY_HEADER_BYTES = 64 * 1024


def read_npy(path: str):
    """One array from a NumPy .npy file (version 1, 2 or 3): f2/f4/f8, signed and unsigned ints, bool;
    C or Fortran order. A numpy array when numpy is importable, else nested lists (a scalar for shape ())."""
    name = os.fspath(path)
    with open(name, "rb") as f:
        data = f.read()
    if len(data) < 10 or data[:6] != b"\x93NUMPY":
        raise FormatError(f"{name}: not an .npy file (missing the \\x93NUMPY magic)")
    major = data[6]
    if major == 1:
        header_len, at = struct.unpack("<H", data[8:10])[0], 10
    elif major in (2, 3):
        if len(data) < 12:
            raise FormatError(f"{name}: the file ends inside the .npy preamble")
        header_len, at = struct.unpack("<I", data[8:12])[0], 12
    else:
        raise FormatError(f"{name}: .npy version {major} is not 1, 2 or 3")
    if header_len > MAX_NPY_HEADER_BYTES or at + header_len > len(data):
        raise FormatError(f"{name}: the .npy header is over {MAX_NPY_HEADER_BYTES} bytes or runs past the end of the file")
    try:
        header = ast.literal_eval(data[at : at + header_len].decode("utf-8" if major == 3 else "latin-1"))
    except (ValueError, SyntaxError, UnicodeDecodeError):
        raise FormatError(f"{name}: the .npy header is not a Python literal dict") from None
    if not isinstance(header, dict) or not {"descr", "fortran_order", "shape"} <= header.keys():
        raise FormatError(f"{name}: the .npy header must hold descr, fortran_order and shape")
    descr, fortran, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or len(descr) < 3 or descr[0] not in "<>|=" or descr[1:] not in _STRUCT:
        raise FormatError(f"{name}: dtype {descr!r} is not one this reader takes (f2/f4/f8, i1-i8, u1-u8, b1; no objects)")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise FormatError(f"{name}: shape must be a tuple of non-negative integers")
    kind, endian = descr[1:], ">" if descr[0] == ">" else "<"
    count = math.prod(shape)
    size = struct.calcsize(_STRUCT[kind])
    body = data[at + header_len :]
    if len(body) != count * size:
        raise FormatError(f"{name}: shape {list(shape)} of {descr} needs {count * size} data bytes, the file has {len(body)}")
    if _np is not None:
        return _np.frombuffer(body, dtype=_np.dtype(endian + kind)).reshape(shape, order="F" if fortran else "C").copy()
    return _reshape(_decode_elements(body, kind, endian, count), tuple(shape), bool(fortran))


# --------------------------------------------------------------------------------------------------
# .safetensors


#: Over this a safetensors header is refused (the engine's own limit, DESIGN.md §5).
MAX_SAFETENSORS_HEADER_BYTES = 100_000_000
_ST_DTYPES = {"F64": "f8", "F32": "f4", "F16": "f2", "BF16": "bf16", "I64": "i8", "I32": "i4", "I16": "i2", "I8": "i1", "U8": "u1", "BOOL": "b1"}
_ST_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def read_safetensors(path: str, with_metadata: bool = False):
    """Every tensor of a .safetensors file by name (in file order): F32, F16, BF16 (widened to float32),
    F64, integers, BOOL. numpy arrays when numpy is importable, else nested lists. With
    `with_metadata=True`, answers (tensors, metadata) where metadata is the file's `__metadata__` dict.
    The file is checked as the engine checks it: header inside the file, offsets contiguous from 0
    with no gap, overlap or trailing bytes, each span equal to prod(shape) × the dtype's size."""
    name = os.fspath(path)
    with open(name, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise FormatError(f"{name}: shorter than the 8-byte safetensors header length")
    header_len = struct.unpack("<Q", data[:8])[0]
    if header_len > MAX_SAFETENSORS_HEADER_BYTES or 8 + header_len > len(data):
        raise FormatError(f"{name}: the safetensors header ({header_len} bytes) is over {MAX_SAFETENSORS_HEADER_BYTES} bytes or runs past the end of the file")
    try:
        header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise FormatError(f"{name}: the safetensors header is not UTF-8 JSON") from None
    if not isinstance(header, dict):
        raise FormatError(f"{name}: the safetensors header must be a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + header_len :]
    entries = []
    for tensor, entry in header.items():
        where = f"{name}: tensor {tensor!r}"
        if not isinstance(entry, dict) or entry.get("dtype") not in _ST_DTYPES:
            raise FormatError(f"{where}: dtype {entry.get('dtype') if isinstance(entry, dict) else None!r} is not a known safetensors dtype")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise FormatError(f"{where}: shape must be a list of non-negative integers")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) and not isinstance(o, bool) for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise FormatError(f"{where}: data_offsets must be [begin, end] with 0 <= begin <= end")
        span = math.prod(shape) * _ST_SIZES[entry["dtype"]]
        if offsets[1] - offsets[0] != span:
            raise FormatError(f"{where}: shape {shape} of {entry['dtype']} needs {span} bytes, its data_offsets span {offsets[1] - offsets[0]}")
        entries.append((offsets[0], offsets[1], tensor, entry["dtype"], tuple(shape)))
    expected = 0
    for begin, end, tensor, _, _ in sorted(entries):
        if begin != expected:
            raise FormatError(f"{name}: tensor {tensor!r} starts at byte {begin}, not {expected} (a gap or an overlap)")
        expected = end
    if expected != len(body):
        raise FormatError(f"{name}: the tensors cover {expected} data bytes, the file has {len(body)}")
    tensors = {}
    for begin, end, tensor, dtype, shape in entries:
        tensors[tensor] = _tensor(bytes(body[begin:end]), dtype, shape)
    return (tensors, metadata) if with_metadata else tensors


def _tensor(raw: bytes, dtype: str, shape: tuple[int, ...]):
    kind = _ST_DTYPES[dtype]
    if kind == "bf16" and _np is not None:
        return (_np.frombuffer(raw, dtype="<u2").astype("<u4") << 16).view("<f4").reshape(shape)
    if kind == "bf16":
        raw, kind = _bf16_to_f32_bytes(raw), "f4"
    if _np is not None:
        return _np.frombuffer(raw, dtype=_np.dtype("<" + kind) if kind != "b1" else _np.bool_).reshape(shape).copy()
    return _reshape(_decode_elements(raw, kind, "<", math.prod(shape)), shape)


# --------------------------------------------------------------------------------------------------
# The client


class RunResult:
    """What `model.run` answered (docs/protocol.md#modelrun), with its vectors as arrays.

    `raw` is the answer as it came; `tokens` the prompt's token texts; `token_ids`; `next` the most
    likely next tokens (dicts of id, text, prob, logit), also as `next_ids`, `next_probs`,
    `next_logits`; `continuation` the generated text or None; `probe` the probe values or None."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.model: str = raw["model"]
        self.tokens: list[str] = [t["text"] for t in raw["tokens"]]
        self.token_ids = _array([t["id"] for t in raw["tokens"]], "int64")
        self.next: list[dict] = raw["next"]
        self.next_ids = _array([t["id"] for t in raw["next"]], "int64")
        self.next_probs = _array([t["prob"] for t in raw["next"]], "float64")
        self.next_logits = _array([t["logit"] for t in raw["next"]], "float64")
        self.captured: dict[str, list[int]] = {c["hook"]: c["shape"] for c in raw["captured"]}
        cont = raw.get("continuation")
        self.continuation: str | None = cont["text"] if cont else None
        probe = raw.get("probe")
        self.probe = _array(probe["values"], "float64") if probe else None
        self.seconds: float = raw["seconds"]

    def top(self, n: int = 10) -> list[tuple[str, float]]:
        """The n most likely next tokens as (text, probability)."""
        return [(t["text"], t["prob"]) for t in self.next[:n]]

    def __getitem__(self, key: str):
        return self.raw[key]

    def __repr__(self) -> str:
        return f"RunResult(tokens={len(self.tokens)}, top={self.top(3)!r})"


class Features(list):
    """Rows of `catalog.search` (dicts: idx, density, maxAct, meanAct, explanation, topTokens, userLabel,
    score), with `total` matching features (a lower bound when `total_is_lower_bound`)."""

    def __init__(self, rows: list[dict], total: int, total_is_lower_bound: bool):
        super().__init__(rows)
        self.total = total
        self.total_is_lower_bound = total_is_lower_bound

    def column(self, field: str):
        """One numeric field of every row as an array: `features.column("density")`."""
        return _array([row[field] for row in self])


_TERMINAL = ("job.finished", "job.failed", "job.cancelled")
#: Progress events kept per job until someone reads them (a long training run sends a few a second).
MAX_KEPT_JOB_EVENTS = 1000


class Job:
    """A job on the server (training, capture, analysis, a benchmark…): its events as they come.

    `wait(on_progress=...)` blocks until it ends and answers its result, calling `on_progress` with
    each progress dict (fraction, done, total, unit, rate, etaSeconds, message?, metrics?); a failed or
    cancelled job raises FeaturescopeError with the server's code. `progress()` iterates the same
    dicts. `cancel()` asks it to stop."""

    def __init__(self, fs: "Featurescope", job_id: str):
        self._fs = fs
        self.id = job_id
        self.state = "running"
        self.last_progress: dict | None = None
        self._result = None
        self._error: dict | None = None
        self._checked = False

    def info(self) -> dict:
        """The job as `jobs.get` answers it: state, progress, metric history, result."""
        return self._fs.call("jobs.get", {"jobId": self.id})

    def cancel(self) -> bool:
        """Ask the job to stop; False when it had already ended."""
        return bool(self._fs.call("jobs.cancel", {"jobId": self.id})["cancelled"])

    def progress(self, timeout: float | None = None):
        """Each progress dict until the job ends (then `result()` or `wait()` answers its outcome)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._catch_up()
        while True:
            for event, payload in self._fs._take_job_events(self.id):
                if event == "job.progress":
                    self.last_progress = payload["progress"]
                    yield payload["progress"]
                else:
                    self._end(event, payload)
            if self.state != "running":
                return
            self._fs._pump(deadline)

    def wait(self, on_progress=None, timeout: float | None = None):
        """Block until the job ends; answer its result (see each job command's Result in docs/protocol.md)."""
        for p in self.progress(timeout):
            if on_progress is not None:
                on_progress(p)
        return self.result()

    def result(self):
        """The result of a finished job; raises FeaturescopeError if it failed or was cancelled."""
        if self.state == "running":
            raise FeaturescopeError("running", f"job {self.id} is still running; wait() for it")
        if self.state == "failed":
            e = self._error or {}
            raise FeaturescopeError(e.get("code", "failed"), e.get("message", "the job failed"), e.get("field"))
        if self.state == "cancelled":
            raise FeaturescopeError("cancelled", f"job {self.id} was cancelled")
        return self._result

    def _catch_up(self) -> None:
        """A job may have ended before we listened (or before we connected): jobs.get says so."""
        if self._checked:
            return
        self._checked = True
        info = self.info()
        # Events that came before the answer were kept; a terminal one among them wins.
        if info["state"] != "running" and not any(e in _TERMINAL for e, _ in self._fs._job_events.get(self.id, ())):
            self.last_progress = info.get("progress", self.last_progress)
            if info["state"] == "finished":
                self._end("job.finished", {"result": info.get("result")})
            elif info["state"] == "failed":
                self._end("job.failed", {"error": info.get("error")})
            else:
                self._end("job.cancelled", {})

    def _end(self, event: str, payload: dict) -> None:
        self.state = {"job.finished": "finished", "job.failed": "failed", "job.cancelled": "cancelled"}[event]
        self._result = payload.get("result")
        self._error = payload.get("error")

    def __repr__(self) -> str:
        return f"Job({self.id!r}, state={self.state!r})"


class Featurescope:
    """One connection to `featurescope serve`. Not thread-safe: use one per thread."""

    def __init__(self, ws: _WebSocket, timeout: float | None):
        self._ws = ws
        self._timeout = timeout
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._job_events: dict[str, list[tuple[str, dict]]] = {}
        #: Other events (engine.status, catalog.changed), newest last; listeners see every event.
        self.events: collections.deque = collections.deque(maxlen=1000)
        self._listeners: list = []
        self._bundled_model: str | None = None

    @classmethod
    def connect(cls, url: str, timeout: float | None = 120.0) -> "Featurescope":
        """Connect with the address `featurescope serve` printed (http://127.0.0.1:PORT/?token=…), the way
        a browser does: trade the token for the session cookie, then open the app's WebSocket with it.
        `timeout` bounds each call's wait for its answer (None: wait forever); jobs have their own."""
        parts = urllib.parse.urlsplit(url)
        token = urllib.parse.parse_qs(parts.query).get("token", [None])[0]
        if parts.scheme != "http" or not parts.hostname or not parts.port:
            raise ValueError("the address must be http://HOST:PORT/?token=… as `featurescope serve` printed it")
        if not token:
            raise ValueError("the address carries no ?token=…: copy the whole line `featurescope serve` printed")
        host, port = parts.hostname, parts.port
        conn = http.client.HTTPConnection(host, port, timeout=timeout or 30)
        try:
            conn.request("GET", f"/?{urllib.parse.urlencode({'token': token})}")
            answer = conn.getresponse()
            body = answer.read(4096).decode("utf-8", "replace").strip()
            if answer.status != 302:
                raise AuthError(answer.status, f"the server refused the address ({body or answer.status})")
            cookie = answer.getheader("set-cookie") or ""
        finally:
            conn.close()
        pair, *attributes = [p.strip() for p in cookie.split(";")]
        path = next((a.split("=", 1)[1] for a in attributes if a.lower().startswith("path=")), None)
        if "=" not in pair or not path:
            raise FeaturescopeError("protocol", "the server sent no session cookie with an app path")
        origin = f"http://{host}:{port}"
        ws = _WebSocket.open(host, port, path.rstrip("/") + "/ws", {"Origin": origin, "Cookie": pair}, timeout or 30)
        return cls(ws, timeout)

    # -- calls ---------------------------------------------------------------------------------------

    def call(self, command: str, input: dict | None = None, timeout=...):
        """Send one command (docs/protocol.md lists them all) and answer its value; an error answer is
        raised as FeaturescopeError with the server's code, message and field."""
        self._next_id += 1
        frame_id = self._next_id
        self._ws.send_text(json.dumps({"id": frame_id, "command": command, "input": {} if input is None else input}))
        wait = self._timeout if timeout is ... else timeout
        deadline = None if wait is None else time.monotonic() + wait
        while frame_id not in self._replies:
            self._pump(deadline)
        reply = self._replies.pop(frame_id)
        if not reply.get("ok"):
            e = reply.get("error") or {}
            raise FeaturescopeError(e.get("code", "internal"), e.get("message", "the server answered an error"), e.get("field"))
        return reply.get("value")

    def start_job(self, command: str, input: dict | None = None) -> Job:
        """Start a job command (sae.train, capture.start, sae.analyze, engine.benchmark…) and answer its Job."""
        value = self.call(command, input)
        return Job(self, value["jobId"])

    def job(self, job_id: str) -> Job:
        """A job of this server's session by id (one started here, by the app or another client)."""
        job = Job(self, job_id)
        job._catch_up()  # raises not_found for an unknown id
        return job

    def jobs(self) -> list[dict]:
        return self.call("jobs.list")

    def doctor(self) -> dict:
        return self.call("app.doctor")

    def models(self) -> list[dict]:
        return self.call("model.list")

    def saes(self) -> list[dict]:
        return self.call("catalog.saes")

    def run(self, prompt: str, model: str | None = None, hooks=(), top_k: int = 10, interventions=(), generate: dict | None = None, sae=None, probe: dict | None = None, **fields) -> RunResult:
        """Run a prompt through a model (default: the bundled one): tokens, next-token distribution,
        captured hook shapes, and a continuation when `generate={"maxNewTokens": N}`. `interventions`
        apply to this run only (docs/protocol.md#modelrun); `sae` (name or id) is the SAE that
        saeFeatures interventions and feature probes refer to. Other fields of model.run pass as keywords."""
        run_input = {"model": model or self._default_model(), "prompt": prompt, "capture": list(hooks), "interventions": list(interventions), "topK": top_k, **fields}
        if generate is not None:
            run_input["generate"] = generate
        if sae is not None:
            run_input["sae"] = self.sae_id(sae)
        if probe is not None:
            run_input["probe"] = probe
        return RunResult(self.call("model.run", run_input))

    def sae_id(self, sae) -> int:
        """An SAE's catalog id from its name (or the id itself)."""
        if isinstance(sae, int) and not isinstance(sae, bool):
            return sae
        known = self.saes()
        for s in known:
            if s["name"] == sae:
                return s["id"]
        raise FeaturescopeError("not_found", f'No SAE named "{sae}" (known: {", ".join(s["name"] for s in known) or "none"}).', "sae")

    def sae_features(self, sae, q: str | None = None, tags=None, sort: str | None = None, order: str | None = None, limit: int = 50, offset: int = 0, **filters) -> Features:
        """Search or list an SAE's analysed features (catalog.search): `q` words (a trailing * matches a
        prefix), `tags`, `sort` ("idx", "density", "max_act", "relevance"), paging, and the filters
        densityMin/densityMax/maxActMin/maxActMax as keywords."""
        query = {"saeId": self.sae_id(sae), "limit": limit, "offset": offset, **filters}
        for key, value in (("q", q), ("tags", None if tags is None else list(tags)), ("sort", sort), ("order", order)):
            if value is not None:
                query[key] = value
        found = self.call("catalog.search", query)
        return Features(found["rows"], found["total"], found["totalIsLowerBound"])

    def feature(self, sae, idx: int) -> dict:
        """A feature's page (catalog.feature); each example's per-token `values` as an array."""
        page = self.call("catalog.feature", {"saeId": self.sae_id(sae), "idx": idx})
        for example in page["examples"]:
            example["values"] = _array(example["values"], "float64")
        return page

    # -- events --------------------------------------------------------------------------------------

    def on_event(self, listener) -> None:
        """Call `listener(event, payload)` for every event frame as it is read."""
        self._listeners.append(listener)

    def _pump(self, deadline: float | None) -> None:
        """Read one frame and put it where it belongs: a reply by id, a job's event by job id."""
        frame = json.loads(self._ws.recv_text(deadline))
        if "id" in frame and "event" not in frame:
            self._replies[frame["id"]] = frame
            return
        event, payload = frame.get("event"), frame.get("payload") or {}
        for listener in list(self._listeners):
            listener(event, payload)
        job_id = payload.get("id") if event == "job.started" else payload.get("jobId")
        if isinstance(event, str) and event.startswith("job.") and isinstance(job_id, str):
            kept = self._job_events.setdefault(job_id, [])
            kept.append((event, payload))
            if len(kept) > MAX_KEPT_JOB_EVENTS:
                # Nobody is reading this job's progress: drop its oldest, never its end.
                oldest = next(i for i, (e, _) in enumerate(kept) if e not in _TERMINAL)
                del kept[oldest]
        else:
            self.events.append((event, payload))

    def _take_job_events(self, job_id: str) -> list[tuple[str, dict]]:
        events = self._job_events.pop(job_id, [])
        return [(e, p) for e, p in events if e != "job.started"]

    def _default_model(self) -> str:
        if self._bundled_model is None:
            bundled = [m for m in self.models() if m["bundled"]]
            if not bundled:
                raise FeaturescopeError("not_found", "No bundled model is installed; pass model=FOLDER.", "model")
            self._bundled_model = bundled[0]["path"]
        return self._bundled_model

    # -- lifetime ------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (jobs keep running on the server)."""
        self._ws.close()

    def __enter__(self) -> "Featurescope":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


if __name__ == "__main__":  # python3 featurescope_client.py URL: a quick check of a server
    if len(sys.argv) != 2:
        sys.exit("usage: featurescope_client.py http://127.0.0.1:PORT/?token=…")
    with Featurescope.connect(sys.argv[1]) as client:
        report = client.doctor()
        print(json.dumps({"version": report["app"]["version"], "backend": report["engine"]["backend"]}, indent=2))
