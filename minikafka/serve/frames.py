"""Kafka's wire framing, as a broker reads it (Kafka: `NetworkReceive`, `RequestHeader`):
standard library only, so bad input is refused before any codec runs.

Rules:
1. A frame is a 4-byte big-endian size, then that many bytes: a request header (api key,
   api version, correlation id, ...) and the request body.
2. A size below the smallest header (8 bytes) or above `socket.request.max.bytes`
   (104,857,600, Kafka's default) closes the connection, as Kafka's broker does
   (InvalidReceiveException), before the body is read: memory per connection stays bounded.
3. `FrameReader.feed(data)` buffers bytes and returns the complete frames; a partial frame
   waits for more bytes, however they are split.
4. `peek_header` and `client_id` read the parts of a request header every version shares.
"""
from __future__ import annotations

import struct

MAX_REQUEST_BYTES = 104_857_600       # socket.request.max.bytes
MIN_FRAME = 8                         # api key (2), api version (2), correlation id (4)
_SIZE = struct.Struct(">i")
_PEEK = struct.Struct(">hhi")


class FrameError(Exception):
    """A frame the broker refuses by closing the connection (rule 2)."""


class FrameReader:
    __slots__ = ("buf", "limit")

    def __init__(self, limit: int = MAX_REQUEST_BYTES) -> None:
        self.buf = bytearray()
        self.limit = limit

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        frames = []
        while len(self.buf) >= 4:
            (size,) = _SIZE.unpack_from(self.buf)
            if size < MIN_FRAME or size > self.limit:
                raise FrameError(f"frame of {size} bytes; a request is {MIN_FRAME} to {self.limit} bytes "
                                 f"(socket.request.max.bytes)")
            if len(self.buf) < 4 + size:
                break
            frames.append(bytes(self.buf[4:4 + size]))
            del self.buf[:4 + size]
        return frames


def peek_header(frame: bytes) -> tuple[int, int, int]:
    """(api key, api version, correlation id): the part of every request header that is the
    same in all its versions."""
    return _PEEK.unpack_from(frame)


def client_id(frame: bytes) -> str | None:
    """The request header's client id (a nullable string after the first 8 bytes), kept to
    letters, digits, '-', '_' and '.' and 40 characters: it names the connection's node."""
    if len(frame) < 10:
        return None
    n = int.from_bytes(frame[8:10], "big", signed=True)
    if n <= 0 or len(frame) < 10 + n:
        return None
    name = frame[10:10 + n].decode("utf-8", "replace")
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:40] or None
