"""App start-up: seconds from launching the process to the first ``GET /`` answered 200, ours vs a bare page.

    .venv/bin/python bench/app_start.py [--runs 1]

* **ours**: ``python app.py`` (what a Space runs; ``tunewise ui`` calls the same ``launch``), with a
  temporary ``TUNEWISE_HOME`` and ``TUNEWISE_OFFLINE=1``;
* **baseline**: a bare ``gr.Blocks()`` holding one Markdown, launched the same way (same interpreter,
  same environment, ``ssr_mode=False`` like ours).

Each run starts the process, polls ``http://127.0.0.1:PORT/`` every 50 ms and stops the process once the
page is served. Runs alternate baseline/ours so drifting load on a shared machine hits both alike; the
median of each side counts, and the ratio is ours / baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE_APP = """
import os
import gradio as gr
with gr.Blocks() as demo:
    gr.Markdown("# bare")
demo.launch(server_name="127.0.0.1", server_port=int(os.environ["GRADIO_SERVER_PORT"]), ssr_mode=False)
"""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_to_first_page(command: list[str], env: dict[str, str], port: int, timeout: float = 180) -> float:
    """Start ``command`` and return the seconds until ``GET /`` on ``port`` answers 200; then stop it.

    Raises:
        RuntimeError: if the process exits first or the page is not served within ``timeout`` seconds.
    """
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            while time.perf_counter() - start < timeout:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"{command[1]} exited {proc.returncode} before serving:\n"
                                       f"{log.read().decode(errors='replace')[-2000:]}")
                try:
                    with urllib.request.urlopen(url, timeout=5) as response:
                        if response.status == 200:
                            return time.perf_counter() - start
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                time.sleep(0.05)
            raise RuntimeError(f"{url} not served within {timeout:.0f} s")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def measure(runs: int = 1) -> dict[str, object]:
    """Median seconds to the first page for ours and the bare baseline, each of ``runs`` alternate starts."""
    seconds: dict[str, list[float]] = {"baseline": [], "ours": []}
    with tempfile.TemporaryDirectory(prefix="tw-bench-app-") as home:
        env = {**os.environ, "TUNEWISE_HOME": home, "TUNEWISE_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
               "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               "TOKENIZERS_PARALLELISM": "false", "GRADIO_SERVER_NAME": "127.0.0.1"}
        for key in ("TUNEWISE_LLM", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
            env.pop(key, None)
        commands = {"baseline": [sys.executable, "-c", BARE_APP], "ours": [sys.executable, str(ROOT / "app.py")]}
        for _ in range(runs):
            for side, command in commands.items():
                port = free_port()
                seconds[side].append(time_to_first_page(command, {**env, "GRADIO_SERVER_PORT": str(port)}, port))
    return {"runs": seconds, "baseline_s": statistics.median(seconds["baseline"]),
            "ours_s": statistics.median(seconds["ours"])}


def main() -> None:
    """Print both sides' start-up times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="starts per side (median counts)")
    args = parser.parse_args()
    result = measure(args.runs)
    print(json.dumps(result, indent=2))
    print(f"ratio ours/bare: {result['ours_s'] / result['baseline_s']:.2f}x")  # type: ignore[operator]


if __name__ == "__main__":
    main()
