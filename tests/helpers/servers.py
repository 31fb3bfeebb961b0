"""Serving an app in a subprocess for tests: a free loopback port, and waiting until the page answers."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_page(url: str, proc: subprocess.Popen, timeout: float = 180.0) -> str:
    """The body of the first 200 answer at ``url``; "" when ``proc`` exits or ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return response.read().decode("utf-8", errors="replace")
        except OSError:  # not listening yet (URLError, ConnectionError and timeouts are OSErrors)
            time.sleep(0.5)
    return ""
