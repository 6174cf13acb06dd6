"""Real headless Chromium for the report tests: find (or install) the Debian ``chromium``
package and drive it with Python playwright.

``ensure_chromium()`` returns the executable, installing it with ``apt-get install -y
chromium`` (after ``apt-get update`` if the first try fails) when it is missing and we run as
root with apt-get; otherwise it calls ``pytest.skip`` with the reason. Playwright's own
browser downloads are never used: ``launch(executable_path=...)`` runs the system binary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
INSTALL_TIMEOUT_S = 900


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env,
                          timeout=INSTALL_TIMEOUT_S, check=False)


def ensure_chromium() -> Path:
    """The Chromium executable; installs the Debian package if needed, else skips the test."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMIUM} is missing and apt-get is not available to install it")
    if os.geteuid() != 0:
        pytest.skip(f"{CHROMIUM} is missing and installing it needs root (apt-get install "
                    "chromium)")
    done = _apt("install", "-y", "--no-install-recommends", "chromium")
    if done.returncode != 0:
        _apt("update")
        done = _apt("install", "-y", "--no-install-recommends", "chromium")
    if done.returncode != 0 or not CHROMIUM.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        pytest.skip(f"could not install chromium with apt-get: {tail[0]}")
    return CHROMIUM


@contextmanager
def chromium_page() -> Iterator[tuple[Any, list[str]]]:
    """A fresh page of headless Chromium and the list its console errors and page errors
    are appended to (as text)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = ensure_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True,
                                             args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console",
                    lambda msg: errors.append(f"console {msg.type}: {msg.text}")
                    if msg.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
            page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
            yield page, errors
        finally:
            browser.close()


if __name__ == "__main__":  # install (or find) Chromium: python tests/browser.py
    import time

    start = time.perf_counter()
    try:
        print(ensure_chromium(), f"({time.perf_counter() - start:.1f} s)")
    except pytest.skip.Exception as exc:
        print(f"skipped: {exc}")
