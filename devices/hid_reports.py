"""Decoding swipers' USB HID reports into the text a keyboard-mode swipe would type.

- MagTek HID readers send one report per swipe, laid out as MagTek documents it: three decode-
  status bytes (0 = read fine), three track lengths, the card encode type, then three 110-byte
  track fields (ASCII, sentinels included). It may arrive in several interrupt packets.
- Readers in HID keyboard mode (ID TECH's and generic ones) send 8-byte boot keyboard reports:
  a modifier byte, a reserved byte, then up to six key usage codes held down.

Each decoder takes raw bytes and returns the swipe's text when one is complete (then
devices.tracks.parse_swipe reads it), else None. A keyboard-mode reader may send Enter after each
track: its decoder holds the text at such an Enter until a key that is not another track's start
comes, or until `flush()` (the reader calls it when the device has gone quiet).
"""

from __future__ import annotations

TRACK_FIELD = 110
MAGTEK_REPORT = 7 + 3 * TRACK_FIELD  # 337 bytes

_LOWER = {**{0x04 + i: chr(ord("a") + i) for i in range(26)},
          **{0x1E + i: "1234567890"[i] for i in range(10)},
          0x2C: " ", 0x2D: "-", 0x2E: "=", 0x2F: "[", 0x30: "]", 0x33: ";", 0x34: "'", 0x36: ",", 0x37: ".", 0x38: "/"}
_SHIFT = {"1": "!", "2": "@", "3": "#", "4": "$", "5": "%", "6": "^", "7": "&", "8": "*", "9": "(", "0": ")",
          "-": "_", "=": "+", "[": "{", "]": "}", ";": ":", "'": '"', ",": "<", ".": ">", "/": "?"}
ENTER_USAGES = (0x28, 0x58)
SHIFT_BITS = 0x22  # left and right shift in the modifier byte


class MagTekDecoder:
    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> str | None:
        self._buffer += data
        if len(self._buffer) < MAGTEK_REPORT:
            return None
        report, self._buffer = bytes(self._buffer[:MAGTEK_REPORT]), self._buffer[MAGTEK_REPORT:]
        return magtek_text(report)

    def flush(self) -> str | None:
        return None  # one report is one whole swipe: nothing is ever held


def magtek_text(report: bytes) -> str:
    """One MagTek report as swipe text; a track the reader flagged as unreadable becomes `E`."""
    statuses, lengths = report[0:3], report[3:6]
    parts = []
    for i, sentinel in enumerate("%;;"):
        length = min(lengths[i], TRACK_FIELD)
        if length == 0 and statuses[i] == 0:
            continue  # the card has no such track
        if statuses[i] != 0:
            parts.append(f"{sentinel}E?")
            continue
        start = 7 + i * TRACK_FIELD
        parts.append(report[start:start + length].decode("ascii", errors="replace"))
    return "".join(parts) + "\r"


class KeyboardDecoder:
    """Boot keyboard reports to text; a key counts when it appears (held keys are not repeated)."""

    def __init__(self) -> None:
        self._held: set[int] = set()
        self._text: list[str] = []
        self._after_track = False  # Enter came after a track's `?`: another track may follow

    def flush(self) -> str | None:
        """The swipe held at its last Enter, now that no other track followed."""
        if not self._after_track:
            return None
        return self._take()

    def _take(self) -> str:
        text, self._text, self._after_track = "".join(self._text) + "\r", [], False
        return text

    def feed(self, data: bytes) -> str | None:
        for offset in range(0, len(data) - 7, 8):
            done = self._report(data[offset:offset + 8])
            if done is not None:
                return done
        return None

    def _report(self, report: bytes) -> str | None:
        shift = bool(report[0] & SHIFT_BITS)
        down = {u for u in report[2:8] if u > 0x03}
        new, self._held = [u for u in report[2:8] if u in down - self._held], down
        for usage in new:
            if usage in ENTER_USAGES:
                if self._after_track:
                    continue  # CR LF, or an empty line: still the same Enter
                if "?" in self._text[-2:]:  # after a track's `?` (and perhaps its LRC character)
                    self._after_track = True
                    continue
                return self._take()
            ch = _LOWER.get(usage)
            if ch is None:
                ch = "\ufffd"  # a key we cannot map: the parser makes it a bad read
            elif shift:
                ch = _SHIFT.get(ch, ch.upper())
            if self._after_track:
                if ch not in "%;+":
                    done = self._take()
                    self._text.append(ch)
                    return done
                self._after_track = False
                self._text.append("\r")  # the reader's Enter between two tracks of one swipe
            self._text.append(ch)
            if len(self._text) > 2048:
                self._text = []  # never a swipe; do not grow without end
        return None
