"""One writer per sweep store (issue 17): the lock beside the store, and two concurrent
sweeps on one store (the second refuses, or waits and then finds every unit done)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_store_damage import BACKEND, clean, client, config_file, files  # noqa: F401
from test_sweep import UNITS

from oncosweep.distributed.lock import StoreLock, StoreLockedError, lock_path


def test_a_second_lock_is_refused_with_the_holders_host_and_pid(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    with StoreLock(store):
        held = json.loads(lock_path(store).read_text())
        assert held["pid"] == os.getpid() and held["host"] == socket.gethostname()
        with pytest.raises(StoreLockedError) as refused:
            StoreLock(store).acquire()
        text = str(refused.value)
        assert f"{store} is being written by sweep pid {os.getpid()} on host " \
               f"{socket.gethostname()} since " in text and "--wait" in text
    assert not lock_path(store).exists()  # removed on release
    with StoreLock(store):  # free again
        pass


def test_the_lock_is_released_on_an_exception(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    with pytest.raises(KeyboardInterrupt), StoreLock(store):
        raise KeyboardInterrupt
    assert not lock_path(store).exists()


def test_a_lock_of_a_killed_process_on_this_host_is_cleared_with_a_note(
    tmp_path: Path
) -> None:
    store = tmp_path / "s.zarr"
    code = ("import sys, time; from oncosweep.distributed.lock import StoreLock; "
            f"StoreLock({str(store)!r}).acquire(); print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(StoreLockedError, match=f"pid {holder.pid} on host"):
        StoreLock(store).acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert lock_path(store).exists()  # left behind
    notes: list[str] = []
    with StoreLock(store, note=notes.append):
        pass
    assert len(notes) == 1 and f"pid {holder.pid}" in notes[0] and "no longer running" \
        in notes[0]


def test_a_lock_of_another_host_needs_break_lock(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    lock_path(store).write_text(json.dumps({"host": "node-17", "pid": 4242,
                                            "since": "2026-01-01 00:00:00 +0000"}))
    with pytest.raises(StoreLockedError) as refused:
        StoreLock(store).acquire()
    assert "sweep pid 4242 on host node-17 since 2026-01-01" in str(refused.value)
    assert "if that process is gone, pass --break-lock" in str(refused.value)
    notes: list[str] = []
    with StoreLock(store, break_lock=True, note=notes.append):
        assert json.loads(lock_path(store).read_text())["pid"] == os.getpid()
    assert "broke the lock" in notes[0]


def test_wait_for_the_lock_or_give_up_after_a_while(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    first = StoreLock(store)
    first.acquire()
    start = time.monotonic()
    with pytest.raises(StoreLockedError):
        StoreLock(store, wait=0.3, poll=0.05, note=lambda _: None).acquire()
    assert 0.3 <= time.monotonic() - start < 3
    threading.Timer(0.3, first.release).start()
    notes: list[str] = []
    with StoreLock(store, wait=10, poll=0.05, note=notes.append):
        assert json.loads(lock_path(store).read_text())["pid"] == os.getpid()
    assert notes and "waiting" in notes[0]


@pytest.mark.slow
def test_two_concurrent_sweeps_on_one_store(clean: Path, config_file: Path,  # noqa: F811
                                            tmp_path: Path) -> None:
    """Sweep A takes the lock (and is paused there, so that the others surely find it held);
    B on the same store refuses at once (exit 2, one line naming A's pid and host); C with
    --wait waits for A, then finds every unit done and computes none. The store is byte for
    byte the clean one, and every unit was computed once, by A."""
    store = tmp_path / "shared.zarr"

    def command(*extra: str) -> list[str]:
        return [sys.executable, "-m", "oncosweep", "sweep", str(config_file), "-o",
                str(store), "--workers", "1", "--backend", BACKEND, "-q", *extra]

    first = subprocess.Popen(command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not (lock_path(store).exists()
                                              and lock_path(store).read_text()):
            time.sleep(0.01)
        first.send_signal(signal.SIGSTOP)
        second = subprocess.run(command(), capture_output=True, text=True, timeout=60)
        third = subprocess.Popen(command("--wait"), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        waiting = ""
        while "waiting" not in waiting and third.poll() is None:
            waiting = third.stdout.readline()
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert f"0 already done, computed {UNITS}" in out
    assert second.returncode == 2 and "sweep:" not in second.stdout
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert second.stderr.startswith(
        f"oncosweep: error: {store} is being written by sweep pid {first.pid} on host "
        f"{socket.gethostname()} since "), second.stderr
    assert f"sweep: waiting for the lock: {store} is being written by sweep pid " \
           f"{first.pid}" in waiting
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    assert f"{UNITS} already done, computed 0" in out
    assert not lock_path(store).exists()
    assert files(store) == files(clean)
