"""Zebra SSI (Simple Serial Interface) packets: encoding, checksum and a streaming parser.

Packet layout: ``LEN OPCODE SOURCE STATUS DATA... CHK_HI CHK_LO`` where LEN counts every byte
before the checksum (LEN itself included) and the checksum is the two's complement of the 16-bit
sum of those bytes, big-endian. Decode data arrives as ``DECODE_DATA`` (0xF3) packets whose DATA is
``BARCODE_TYPE PAYLOAD...``; a payload longer than one packet is split over packets with the
continuation bit set in STATUS. The host must ACK (0xD0) every decode packet, or the scanner
retransmits it with the retransmit bit set in STATUS; a retransmission of a packet the host already
ACKed (the ACK was late) must be ACKed again but not used twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

OP_ACK: Final = 0xD0
OP_NAK: Final = 0xD1
OP_DECODE_DATA: Final = 0xF3
OP_START_DECODE: Final = 0xE4
OP_STOP_DECODE: Final = 0xE5
SOURCE_DECODER: Final = 0x00
SOURCE_HOST: Final = 0x04
STATUS_RETRANSMIT: Final = 0x01
STATUS_CONTINUATION: Final = 0x02
NAK_RESEND: Final = 0x01
BARCODE_TYPE_QR: Final = 0x1C

_MIN_LEN: Final = 4


class SsiChecksumError(ValueError):
    """A packet whose checksum does not match: NAK it so the scanner resends."""


def checksum(body: bytes) -> bytes:
    """Two's complement of the 16-bit byte sum of ``body``, big-endian."""
    return ((-sum(body)) & 0xFFFF).to_bytes(2, "big")


def encode_packet(opcode: int, data: bytes = b"", *, source: int = SOURCE_HOST, status: int = 0) -> bytes:
    """A complete packet with length and checksum."""
    length = _MIN_LEN + len(data)
    if length > 0xFF:
        raise ValueError("SSI packet data too long")
    body = bytes([length, opcode, source, status]) + data
    return body + checksum(body)


START_DECODE: Final = encode_packet(OP_START_DECODE)
STOP_DECODE: Final = encode_packet(OP_STOP_DECODE)
ACK: Final = encode_packet(OP_ACK)
NAK_RESEND_PACKET: Final = encode_packet(OP_NAK, bytes([NAK_RESEND]))


@dataclass(frozen=True, slots=True)
class SsiPacket:
    """One checked packet."""

    opcode: int
    source: int
    status: int
    data: bytes

    @property
    def is_continued(self) -> bool:
        return bool(self.status & STATUS_CONTINUATION)

    def retransmits(self, previous: SsiPacket | None) -> bool:
        """Whether this packet is the scanner's retransmission of ``previous``: the retransmit bit
        set and otherwise the same packet."""
        return (
            previous is not None
            and bool(self.status & STATUS_RETRANSMIT)
            and self.opcode == previous.opcode
            and self.source == previous.source
            and self.status & ~STATUS_RETRANSMIT == previous.status & ~STATUS_RETRANSMIT
            and self.data == previous.data
        )


def decode_packets(payload: bytes, *, max_chunk: int = 0xFF - _MIN_LEN - 1) -> list[bytes]:
    """The DECODE_DATA packets a scanner sends for ``payload`` (used by the emulator and tests)."""
    chunks = [payload[i : i + max_chunk] for i in range(0, len(payload), max_chunk)] or [b""]
    packets = []
    for index, chunk in enumerate(chunks):
        status = STATUS_CONTINUATION if index < len(chunks) - 1 else 0
        packets.append(
            encode_packet(
                OP_DECODE_DATA, bytes([BARCODE_TYPE_QR]) + chunk, source=SOURCE_DECODER, status=status
            )
        )
    return packets


@dataclass(slots=True)
class SsiParser:
    """Streaming parser: :meth:`feed` returns whole packets; bad ones raise SsiChecksumError.

    After a checksum error the parser drops the bad packet and continues with the next byte
    boundary the length byte pointed at, which is how the scanner resends it after a NAK.
    """

    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[SsiPacket | SsiChecksumError]:
        """Parse what is complete; errors are returned in order with the packets, not raised."""
        self._buffer += data
        out: list[SsiPacket | SsiChecksumError] = []
        while self._buffer:
            length = self._buffer[0]
            if length < _MIN_LEN:
                # Not a packet start: drop the byte and resynchronise.
                del self._buffer[0]
                out.append(SsiChecksumError("bad SSI length byte"))
                continue
            if len(self._buffer) < length + 2:
                break
            body = bytes(self._buffer[:length])
            received = bytes(self._buffer[length : length + 2])
            del self._buffer[: length + 2]
            if checksum(body) != received:
                out.append(SsiChecksumError("SSI checksum mismatch"))
                continue
            out.append(SsiPacket(opcode=body[1], source=body[2], status=body[3], data=body[4:]))
        return out

    def reset(self) -> None:
        self._buffer.clear()


@dataclass(slots=True)
class SsiDecodeAssembler:
    """Joins continued DECODE_DATA packets into one payload (the barcode-type byte removed)."""

    _parts: list[bytes] = field(default_factory=list)
    max_bytes: int = 4096

    def add(self, packet: SsiPacket) -> bytes | None:
        """Add a DECODE_DATA packet; returns the whole payload when its last packet arrives."""
        self._parts.append(packet.data[1:])
        if sum(len(p) for p in self._parts) > self.max_bytes:
            self._parts.clear()
            raise ValueError("SSI decode data too long")
        if packet.is_continued:
            return None
        payload = b"".join(self._parts)
        self._parts.clear()
        return payload

    @property
    def pending(self) -> bool:
        """Whether the first packets of a payload arrived and its last one has not."""
        return bool(self._parts)

    def reset(self) -> None:
        """Drop the parts of an unfinished payload (so they cannot prefix the next one)."""
        self._parts.clear()
