"""The errors of sweeps and sweep stores (the command line turns them into one line)."""

from __future__ import annotations

from typing import Any


class SweepError(RuntimeError):
    """A sweep cannot run as asked (a store of another configuration, bad arguments, a store
    that cannot be written, a scheduler that cannot be reached): nothing was computed."""


class SweepFailedError(SweepError):
    """A sweep stopped part way (a unit could not be written: disk full, permissions); the
    units finished before are kept, marked done (``summary``), and a re-run computes the
    rest."""

    def __init__(self, message: str, summary: Any) -> None:
        super().__init__(message)
        self.summary = summary


class StoreDamagedError(ValueError):
    """A sweep store has units whose data cannot be read or do not match their checksum."""
