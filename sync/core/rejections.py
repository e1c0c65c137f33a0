"""A change the data refuses: one exception for every applier, on the desk and on the server."""

from __future__ import annotations


class Rejected(Exception):
    """A mutation that cannot be applied, with a code and words for the front desk."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
