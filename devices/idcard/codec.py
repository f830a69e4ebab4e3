"""The SAM module's frame format: building and parsing frames, with no I/O.

Frame (both directions)::

    AA AA AA 96 69 | LEN (2, big-endian) | body … | CHK

``LEN`` counts every byte after itself, CHK included; CHK is the XOR of the LEN bytes and the body.
A host command's body is ``CMD PARA DATA…``; a reader response's body is ``SW1 SW2 SW3 DATA…``.

``FrameDecoder`` is the receiver: fed arbitrary chunks, it resynchronises on the preamble past any
garbage, rejects implausible lengths and bad checksums, and yields complete frames or typed
``FrameError`` values. It never raises and never buffers more than one maximal frame, whatever
it is fed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Final

from devices.base import DeviceProtocolError

__all__ = [
    "APPENDED_ADDRESS",
    "FIND",
    "MAX_LEN",
    "PREAMBLE",
    "READ",
    "READ_WITH_FINGERPRINT",
    "RESET",
    "SAM_ID",
    "SELECT",
    "STATUS",
    "BadChecksum",
    "BadLength",
    "Command",
    "FrameDecoder",
    "FrameError",
    "Outcome",
    "ReadPayload",
    "Response",
    "build_command",
    "build_response",
    "checksum",
    "format_sam_id",
    "parse_command",
    "parse_read_payload",
    "parse_response",
]

PREAMBLE: Final = b"\xaa\xaa\xaa\x96\x69"
MAX_LEN: Final = 2400  # the largest real frame (read with fingerprint) has LEN 0x090A = 2314
_MIN_COMMAND_LEN: Final = 3  # CMD PARA CHK
_MIN_RESPONSE_LEN: Final = 4  # SW1 SW2 SW3 CHK
_HEADER: Final = len(PREAMBLE) + 2


class FrameError(DeviceProtocolError):
    """Bytes that are not a valid frame."""

    default_code = "bad_frame"


class BadChecksum(FrameError):
    default_code = "bad_checksum"


class BadLength(FrameError):
    default_code = "bad_length"


def checksum(data: bytes) -> int:
    """XOR of all bytes (the frame's CHK over LEN and body)."""
    result = 0
    for byte in data:
        result ^= byte
    return result


def _frame(body: bytes) -> bytes:
    length = len(body) + 1
    if length > MAX_LEN:
        raise ValueError(f"frame body of {len(body)} bytes exceeds the protocol maximum")
    header = length.to_bytes(2, "big")
    return PREAMBLE + header + body + bytes([checksum(header + body)])


# --- commands -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One host command, the deadline drivers give it, and the size of its longest answer.

    ``timeout_s`` is the module's own time (figures from drivers at 115200 baud, where a frame's
    time on the wire is small); ``response_bytes`` lets the link add the time the answer needs to
    cross a slower line (0: negligible).
    """

    name: str
    cmd: int
    para: int
    timeout_s: float
    response_bytes: int = 0

    def frame(self, data: bytes = b"") -> bytes:
        return build_command(self.cmd, self.para, data)


# Deadlines are those in common use by drivers (find/select ~0.1 s), with headroom for USB-serial
# adapters and loaded hosts: a missed deadline costs a poll cycle, not a citizen's read. Response
# sizes are whole frames (7-byte header + SW1 SW2 SW3 + data + CHK); the appended address counts
# one 70-byte entry, and the deadline's headroom covers a few more.
RESET: Final = Command("reset", 0x10, 0xFF, 1.0, 11)
STATUS: Final = Command("status", 0x11, 0xFF, 0.5, 11)
SAM_ID: Final = Command("sam_id", 0x12, 0xFF, 0.5, 27)
FIND: Final = Command("find", 0x20, 0x01, 0.3, 15)
SELECT: Final = Command("select", 0x20, 0x02, 0.3, 19)
READ: Final = Command("read", 0x30, 0x01, 2.0, 1295)
APPENDED_ADDRESS: Final = Command("appended_address", 0x30, 0x03, 1.5, 81)
READ_WITH_FINGERPRINT: Final = Command("read_with_fingerprint", 0x30, 0x10, 3.0, 2321)


def build_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """A complete host → reader frame."""
    return _frame(bytes([cmd & 0xFF, para & 0xFF]) + data)


def build_response(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    """A complete reader → host frame (for emulators and tests)."""
    return _frame(bytes([sw1 & 0xFF, sw2 & 0xFF, sw3 & 0xFF]) + data)


# --- responses ----------------------------------------------------------------------------------


class Outcome(Enum):
    """What an SW3 code means for the driver."""

    OK = "ok"
    NO_CONTENT = "no_content"
    NO_CARD = "no_card"
    SELECT_FAILED = "select_failed"
    READ_FAILED = "read_failed"
    AUTH_FAILED = "auth_failed"
    UNSUPPORTED_CARD = "unsupported_card"
    HOST_FRAME_ERROR = "host_frame_error"
    DEVICE_FAULT = "device_fault"
    UNKNOWN = "unknown"


SW3_OUTCOMES: Final[Mapping[int, Outcome]] = MappingProxyType(
    {
        0x90: Outcome.OK,
        0x9F: Outcome.OK,  # find succeeded
        0x91: Outcome.NO_CONTENT,  # no appended address / no fingerprint
        0x80: Outcome.NO_CARD,
        0x81: Outcome.SELECT_FAILED,
        0x41: Outcome.READ_FAILED,  # card moved away mid-read
        0x31: Outcome.AUTH_FAILED,
        0x32: Outcome.AUTH_FAILED,
        0x33: Outcome.AUTH_FAILED,
        0x40: Outcome.UNSUPPORTED_CARD,
        0x10: Outcome.HOST_FRAME_ERROR,  # our checksum
        0x11: Outcome.HOST_FRAME_ERROR,  # our length
        0x21: Outcome.HOST_FRAME_ERROR,  # our command
        0x23: Outcome.DEVICE_FAULT,  # unauthorised operation
        0x24: Outcome.DEVICE_FAULT,  # unknown error
        0x47: Outcome.DEVICE_FAULT,  # random-number failure
        0x60: Outcome.DEVICE_FAULT,  # SAM self-test failed
        0x66: Outcome.DEVICE_FAULT,  # SAM not authorised
    }
)


@dataclass(frozen=True)
class Response:
    """A parsed reader → host frame."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @property
    def outcome(self) -> Outcome:
        return SW3_OUTCOMES.get(self.sw3, Outcome.UNKNOWN)


@dataclass(frozen=True)
class RawFrame:
    """A frame with a valid length and checksum; ``body`` excludes LEN and CHK."""

    body: bytes


def _check_length(length: int, minimum: int) -> None:
    if length < minimum or length > MAX_LEN:
        raise BadLength(f"frame length {length} outside {minimum}..{MAX_LEN}")


def _parse_exact(frame: bytes, minimum: int) -> bytes:
    if not frame.startswith(PREAMBLE):
        raise FrameError("frame does not start with the preamble")
    if len(frame) < _HEADER:
        raise BadLength("frame shorter than its header")
    length = int.from_bytes(frame[5:7], "big")
    _check_length(length, minimum)
    if len(frame) != _HEADER + length:
        raise BadLength(f"frame of {len(frame)} bytes announces {_HEADER + length}")
    if checksum(frame[5:-1]) != frame[-1]:
        raise BadChecksum("frame checksum mismatch")
    return frame[_HEADER:-1]


def parse_response(frame: bytes) -> Response:
    """Parse exactly one complete response frame; raises a ``FrameError`` subclass."""
    body = _parse_exact(frame, _MIN_RESPONSE_LEN)
    return Response(sw1=body[0], sw2=body[1], sw3=body[2], data=bytes(body[3:]))


def parse_command(frame: bytes) -> tuple[int, int, bytes]:
    """Parse exactly one complete command frame into (CMD, PARA, DATA) (emulator side)."""
    body = _parse_exact(frame, _MIN_COMMAND_LEN)
    return body[0], body[1], bytes(body[2:])


class FrameDecoder:
    """Incremental receiver for one direction of the line.

    ``feed(chunk)`` yields, in order, each complete frame (as its full bytes) or a ``FrameError``
    describing bytes that were skipped. Garbage before a preamble is skipped silently but counted
    in ``discarded``. After a bad length or checksum the decoder skips one byte and resynchronises,
    so a false preamble inside garbage cannot swallow a real frame behind it. The same holds for a
    header whose frame never completes (cut off, or a false preamble announcing more bytes than
    follow): as soon as a complete frame with a valid checksum lies inside the length it claims,
    the held header is dropped (reported as ``BadLength``) and that frame is yielded, instead of
    waiting for bytes that will never come. (A real frame's data containing a whole valid frame,
    preamble, length and checksum included, is a chance of about 2^-48 per position.)
    """

    def __init__(self, *, minimum_length: int = _MIN_RESPONSE_LEN) -> None:
        self._buffer = bytearray()
        self._minimum = minimum_length
        self.discarded = 0

    def reset(self) -> None:
        """Forget any partial frame (after a timeout, before a new command)."""
        self.discarded += len(self._buffer)
        self._buffer.clear()

    @property
    def pending(self) -> int:
        """Bytes held for an incomplete frame."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> Iterator[bytes | FrameError]:
        self._buffer += chunk
        while True:
            start = self._buffer.find(PREAMBLE)
            if start < 0:
                # Keep a tail that could be the start of a preamble split across chunks.
                keep = 0
                for size in range(len(PREAMBLE) - 1, 0, -1):
                    if self._buffer.endswith(PREAMBLE[:size]):
                        keep = size
                        break
                self.discarded += len(self._buffer) - keep
                del self._buffer[: len(self._buffer) - keep]
                return
            if start:
                self.discarded += start
                del self._buffer[:start]
            if len(self._buffer) < _HEADER:
                return
            length = int.from_bytes(self._buffer[5:7], "big")
            if length < self._minimum or length > MAX_LEN:
                self._skip_one()
                yield BadLength(f"frame length {length} outside {self._minimum}..{MAX_LEN}")
                continue
            total = _HEADER + length
            if len(self._buffer) < total:
                if self._complete_frame_after_start():
                    self._skip_one()
                    yield BadLength(f"frame announcing {length} bytes cut short by the next frame")
                    continue
                return
            frame = bytes(self._buffer[:total])
            if checksum(frame[5:-1]) != frame[-1]:
                self._skip_one()
                yield BadChecksum("frame checksum mismatch")
                continue
            del self._buffer[:total]
            yield frame

    def _complete_frame_after_start(self) -> bool:
        """Whether a later preamble in the buffer starts a complete frame with a valid checksum.

        Called while the frame at the start is incomplete: such a frame ends inside the length
        the first one claims, so the first header cannot be real.
        """
        position = self._buffer.find(PREAMBLE, 1)
        while position >= 0 and len(self._buffer) - position >= _HEADER:
            length = int.from_bytes(self._buffer[position + 5 : position + 7], "big")
            end = position + _HEADER + length
            if (
                self._minimum <= length <= MAX_LEN
                and end <= len(self._buffer)
                and checksum(bytes(self._buffer[position + 5 : end - 1])) == self._buffer[end - 1]
            ):
                return True
            position = self._buffer.find(PREAMBLE, position + 1)
        return False

    def _skip_one(self) -> None:
        self.discarded += 1
        del self._buffer[:1]


# --- payloads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadPayload:
    """The data of a successful read: text block, photo and (30 10 only) fingerprint."""

    text: bytes
    photo: bytes
    fingerprint: bytes = b""


def parse_read_payload(data: bytes, *, with_fingerprint: bool = False) -> ReadPayload:
    """Split a read response's data by its length fields; raises ``BadLength`` if they lie."""
    fields = 3 if with_fingerprint else 2
    if len(data) < 2 * fields:
        raise BadLength("read response too short for its length fields")
    sizes = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(fields)]
    if 2 * fields + sum(sizes) != len(data):
        raise BadLength("read response length fields do not add up")
    parts: list[bytes] = []
    offset = 2 * fields
    for size in sizes:
        parts.append(bytes(data[offset : offset + size]))
        offset += size
    return ReadPayload(*parts)


def build_read_payload(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """The data of a read response (emulator side)."""
    parts = [text, photo] if fingerprint is None else [text, photo, fingerprint]
    header = b"".join(len(part).to_bytes(2, "big") for part in parts)
    return header + b"".join(parts)


def format_sam_id(data: bytes) -> str:
    """The SAM id as technicians know it: ``%02X.%02X-%u-%010u-%010u``."""
    if len(data) < 16:
        raise BadLength(f"SAM id of {len(data)} bytes, expected 16")
    numbers = [int.from_bytes(data[offset : offset + 4], "little") for offset in (4, 8, 12)]
    return f"{data[0]:02X}.{data[2]:02X}-{numbers[0]}-{numbers[1]:010d}-{numbers[2]:010d}"
