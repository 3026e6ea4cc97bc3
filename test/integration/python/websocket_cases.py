"""The client's WebSocket against a scripted stdlib server, for what `featurescope serve` never sends
(a fragmented message, a ping, a close with a code, a masked or reserved-bit frame, a bad accept
key). Prints one JSON object: what the client made of each script and what it sent back."""

import base64
import hashlib
import json
import socket
import struct
import threading
import time

from featurescope_client import ConnectionClosed, FeaturescopeError, _WebSocket

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def server_frame(opcode, payload, fin=True, masked=False, rsv=0):
    head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
    n = len(payload)
    length = bytes([(0x80 if masked else 0) | n]) if n < 126 else bytes([(0x80 if masked else 0) | 126]) + struct.pack(">H", n)
    if not masked:
        return head + length + payload
    key = b"\x01\x02\x03\x04"
    return head + length + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_client_frame(conn):
    """One frame the client sent: (fin, opcode, unmasked payload, was it masked)."""
    b0, b1 = conn.recv(1)[0], conn.recv(1)[0]
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", conn.recv(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", conn.recv(8))[0]
    key = conn.recv(4) if b1 & 0x80 else b"\0\0\0\0"
    data = b""
    while len(data) < n:
        data += conn.recv(n - len(data))
    return bool(b0 & 0x80), b0 & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(data)), bool(b1 & 0x80)


def scripted(script, accept_ok=True):
    """A one-connection server on 127.0.0.1 that shakes hands, then runs `script(conn, seen)`."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen = []

    def serve():
        conn, _ = listener.accept()
        conn.settimeout(5)  # a client that never answers fails the case instead of hanging it
        request = b""
        while b"\r\n\r\n" not in request:
            request += conn.recv(4096)
        key = next(line.split(":", 1)[1].strip() for line in request.decode().split("\r\n") if line.lower().startswith("sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode() if accept_ok else "wrong"
        conn.sendall(f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n".encode())
        try:
            script(conn, seen)
        except OSError:
            pass
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], seen, thread


def attempt(port, steps):
    try:
        ws = _WebSocket.open("127.0.0.1", port, "/ws", {}, 5)
    except FeaturescopeError as e:
        return [{"error": e.code, "message": e.message}]
    out = []
    for _ in range(steps):
        try:
            out.append({"text": ws.recv_text(time.monotonic() + 5)})
        except ConnectionClosed as e:
            out.append({"closed": e.close_code, "reason": e.reason})
            break
        except FeaturescopeError as e:
            out.append({"error": e.code, "message": e.message})
            break
        except TimeoutError:
            out.append({"timeout": True})
            break
    return out


def fragmented_with_ping(conn, seen):
    conn.sendall(server_frame(0x1, b'{"a":', fin=False))
    conn.sendall(server_frame(0x9, b"hi"))  # a ping between fragments (control frames may interleave)
    conn.sendall(server_frame(0x0, b' "\xc3\xa9t', fin=False))  # a UTF-8 character split across fragments
    conn.sendall(server_frame(0x0, b'\xc3\xa9"}'))
    seen.append(read_client_frame(conn)[1:])  # the pong
    conn.sendall(server_frame(0x8, struct.pack(">H", 1011) + b"bye"))
    seen.append(read_client_frame(conn)[1:])  # the client's close echo


def masked_frame(conn, seen):
    conn.sendall(server_frame(0x1, b"{}", masked=True))
    seen.append(read_client_frame(conn)[1:])


def reserved_bits(conn, seen):
    conn.sendall(server_frame(0x1, b"{}", rsv=4))
    seen.append(read_client_frame(conn)[1:])


def sent(seen):
    return [{"opcode": op, "payload": base64.b64encode(p).decode(), "masked": m} for op, p, m in seen]


results = {}
for name, script, steps in [("fragmented", fragmented_with_ping, 2), ("masked", masked_frame, 1), ("reserved", reserved_bits, 1)]:
    port, seen, thread = scripted(script)
    results[name] = {"client": attempt(port, steps)}
    thread.join(5)
    results[name]["sent"] = sent(seen)
port, _, thread = scripted(lambda conn, seen: None, accept_ok=False)
results["badAccept"] = {"client": attempt(port, 1)}
print(json.dumps(results))
