"""One writer per sweep store: a lock file beside the store (``<store>.lock``).

The writer holds an exclusive ``flock`` on the lock file for as long as it runs and writes
its host, pid, process start time and the time it took the lock into it; it removes the file
when it ends (also on an exception or Ctrl-C). The kernel drops the ``flock`` when the process
dies, however it dies, so a lock left by a killed sweep on this host is known to be stale and
is taken over with a note. A lock written by a process on another host cannot be checked
from here (file systems differ in whether they share ``flock`` across hosts): it is refused
unless ``break_lock`` says that process is gone. The file lies beside the store, not inside
it, so the store's contents never change and ``--overwrite`` cannot remove it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oncosweep.distributed.errors import SweepError

try:  # POSIX; elsewhere the pid check alone decides whether a lock is stale
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


_AGAIN = "again"  # the lock file was replaced while it was opened: open it again


class StoreLockedError(SweepError):
    """Another sweep writes the store (or a lock of another host has not been cleared)."""


def lock_path(store: str | os.PathLike[str]) -> Path:
    """The lock file of a store: ``<store>.lock`` beside it."""
    path = Path(store)
    return path.with_name(path.name + ".lock")


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as written in its file."""

    host: str
    pid: int
    since: str
    process_start: float = 0.0

    @classmethod
    def me(cls) -> Holder:
        return cls(socket.gethostname(), os.getpid(),
                   time.strftime("%Y-%m-%d %H:%M:%S %z"), _process_start(os.getpid()))

    def describe(self) -> str:
        return f"sweep pid {self.pid} on host {self.host} since {self.since}"

    def on_this_host(self) -> bool:
        return self.host == socket.gethostname()

    def alive(self) -> bool:
        """Whether the process is still running (meaningful on this host only)."""
        started = _process_start(self.pid)
        if started == 0.0:
            return False
        return not self.process_start or abs(started - self.process_start) < 1.0


def _process_start(pid: int) -> float:
    """The start time of process ``pid`` (0.0 if there is none)."""
    try:
        import psutil  # noqa: PLC0415 - a dependency of distributed

        return float(psutil.Process(pid).create_time())
    except Exception:  # noqa: BLE001 - no such process, or no psutil
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return 0.0
        except PermissionError:
            return -1.0  # exists, owned by someone else
        return -1.0


class StoreLock:
    """The lock of one store, as a context manager (``with StoreLock(store): ...``).

    ``wait``: seconds to wait for a held lock (``math.inf``: as long as it takes; None or 0:
    refuse at once), checking every ``poll`` seconds. ``break_lock``: clear a lock that a
    process on another host left (the caller says it is gone). ``note`` receives one-line
    notes (a stale lock cleared, waiting)."""

    def __init__(self, store: str | os.PathLike[str], *, wait: float | None = None,
                 poll: float = 2.0, break_lock: bool = False,
                 note: Callable[[str], None] | None = None) -> None:
        self.store = Path(store)
        self.path = lock_path(store)
        self.wait = wait or 0.0
        self.poll = poll
        self.break_lock = break_lock
        self.note = note or (lambda text: print(text, file=sys.stderr, flush=True))
        self.fd: int | None = None

    def __enter__(self) -> StoreLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait if math.isfinite(self.wait) else math.inf
        told = False
        while True:
            refusal = self._try()
            if refusal is None:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreLockedError(refusal)
            if not told:
                waited = ("" if math.isinf(self.wait)
                          else f" for up to {self.wait:g} s")
                self.note(f"sweep: waiting{waited} for the lock: {refusal.split('; ')[0]} "
                          f"(checking every {self.poll:g} s)")
                told = True
            time.sleep(min(self.poll, left))

    def _try(self) -> str | None:
        """Take the lock, or say why not (one line)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            refusal = self._take(fd)
        except BaseException:
            os.close(fd)
            raise
        if refusal is not None:
            os.close(fd)  # drops the flock this attempt may hold
            return self._try() if refusal is _AGAIN else refusal
        self.fd = fd
        return None

    def _take(self, fd: int) -> str | None:
        locked = _flock(fd)
        holder = _read(fd, patient=locked is False)
        if locked is False:
            return self._refusal(holder, running=True)
        try:
            if os.fstat(fd).st_ino != os.stat(self.path).st_ino:
                return _AGAIN  # the holder removed the file as we opened it
        except FileNotFoundError:
            return _AGAIN
        if holder is not None:
            if holder.on_this_host():
                if locked is None and holder.alive():
                    return self._refusal(holder, running=True)
                self.note(f"sweep: cleared a stale lock of {self.store}: "
                          f"{holder.describe()} is no longer running")
            elif not self.break_lock:
                return self._refusal(holder, running=None)
            else:
                self.note(f"sweep: broke the lock of {self.store} held by "
                          f"{holder.describe()} (--break-lock)")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(Holder.me().__dict__).encode(), 0)
        os.fsync(fd)
        return None

    def _refusal(self, holder: Holder | None, *, running: bool | None) -> str:
        who = holder.describe() if holder is not None else "another sweep (starting)"
        text = f"{self.store} is being written by {who}"
        if running and (holder is None or holder.on_this_host()):
            return (f"{text}; wait for it (--wait), or stop that process (the lock clears "
                    "itself when it ends)")
        return (f"{text}; wait for it (--wait), or if that process is gone, pass --break-lock "
                f"(lock file {self.path})")

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self.fd)  # drops the flock
        self.fd = None


def _flock(fd: int) -> bool | None:
    """True: this process now holds the flock; False: another one does; None: the file
    system does not support it."""
    if fcntl is None:  # pragma: no cover
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        return None  # ENOLCK, ENOTSUP, EINVAL: no flock here
    return True


def _read(fd: int, *, patient: bool = False) -> Holder | None:
    """The holder written in the lock file (None: empty). ``patient``: the file is held, so
    its holder may be writing it now: look again a little later when it is empty."""
    for attempt in range(3 if patient else 1):
        text = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        if text:
            try:
                fields = json.loads(text)
                return Holder(str(fields["host"]), int(fields["pid"]), str(fields["since"]),
                              float(fields.get("process_start", 0.0)))
            except (ValueError, KeyError, TypeError):
                return Holder("unknown", 0, "an unknown time")
        if patient and attempt < 2:
            time.sleep(0.05)
    return None
