"""One command/response exchange with a SAM module, under a deadline.

``SamLink.exchange`` sends a command, receives the matching response and resends once when the
module says our frame was damaged (SW3 0x10/0x11/0x21). It returns every well-formed response,
whatever its SW3: deciding what an outcome means for a citizen is the driver's job.
"""

from __future__ import annotations

import time
from typing import Final

from devices.base import DeviceProtocolError, DeviceTimeoutError
from devices.idcard.codec import Command, FrameDecoder, FrameError, Outcome, Response, parse_response
from devices.idcard.transport import Transport

__all__ = ["SamLink"]

# After a damaged frame, how long to wait for a good one that might follow before giving up:
# long enough for a frame already on the wire, short enough not to stall a poll cycle. It applies
# only while no partial frame is held: a frame still arriving (1.35 s for a read at 9600 baud)
# gets the command's whole deadline.
_AFTER_BAD_FRAME_S: Final = 0.1


class SamLink:
    """Command/response over a ``Transport``. ``timeout_scale`` stretches every deadline.

    Known limit: the protocol has no sequence numbers, so an answer that arrives after its
    deadline could be taken for the answer to the next command. Input is discarded before every
    command, which drops late answers that arrived by then; the length and layout checks of the
    read response catch the rest (a mismatched answer fails the cycle, which is retried).
    """

    def __init__(self, transport: Transport, *, timeout_scale: float = 1.0) -> None:
        self._transport = transport
        self._decoder = FrameDecoder()
        self._scale = timeout_scale

    @property
    def transport(self) -> Transport:
        return self._transport

    def exchange(self, command: Command, data: bytes = b"") -> Response:
        """Send ``command`` and return its response.

        The deadline is the command's timeout (times ``timeout_scale``) plus the time its longest
        answer takes on the wire at the transport's line rate: the timeouts drivers use are
        figures at 115200 baud, and at 9600 a read's answer alone needs 1.35 s.

        Raises ``DeviceTimeoutError`` (no answer in time), ``FrameError`` (only damaged frames
        came back), ``DeviceProtocolError`` (the module rejected our frame twice) or
        ``DeviceNotFoundError`` (the port went away).
        """
        response = self._exchange_once(command, data)
        if response.outcome is Outcome.HOST_FRAME_ERROR:
            response = self._exchange_once(command, data)
            if response.outcome is Outcome.HOST_FRAME_ERROR:
                raise DeviceProtocolError(
                    f"reader rejected the {command.name} command frame (SW3 {response.sw3:02X})"
                )
        return response

    def _exchange_once(self, command: Command, data: bytes) -> Response:
        # Anything still arriving belongs to an earlier, abandoned exchange.
        self._transport.discard_input()
        self._decoder.reset()
        self._transport.write(command.frame(data))
        timeout_s = command.timeout_s * self._scale + self._transport.wire_time(command.response_bytes)
        deadline = time.monotonic() + timeout_s
        last_error: FrameError | None = None
        give_up_after_error = deadline
        while True:
            # A damaged frame shortens the wait only while nothing that may become a frame is held.
            limit = deadline if self._decoder.pending else min(deadline, give_up_after_error)
            remaining = limit - time.monotonic()
            if remaining <= 0:
                if last_error is not None:
                    raise last_error
                raise DeviceTimeoutError(f"no answer to {command.name} within {timeout_s:.3g} s")
            chunk = self._transport.read_some(remaining)
            for item in self._decoder.feed(chunk):
                if isinstance(item, FrameError):
                    last_error = item
                    give_up_after_error = time.monotonic() + _AFTER_BAD_FRAME_S
                    continue
                return parse_response(item)
