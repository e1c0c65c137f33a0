"""Ids and clocks shared by desk and server."""

from __future__ import annotations

import datetime as dt

import uuid6


def new_id() -> str:
    """A UUIDv7 string: unique without coordination, and roughly time-ordered for indexes."""
    return str(uuid6.uuid7())


def utcnow() -> dt.datetime:
    """Now as naive UTC, the form every stored datetime takes (see sync.schema)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
