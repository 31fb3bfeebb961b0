"""How a Ray job's events, checkpoints and results come back: marked lines in the job's own log.

The Ray Jobs API gives a client the job's log (``tail_job_logs``) and nothing else, so everything the job folder
needs travels there. On the node, :class:`LogWriter` prints the training output as it is, and between its lines:

- ``@tunewise:event SEQ JSON``: line ``SEQ`` (from 0) of the run's ``events.jsonl``, as it is written;
- ``@tunewise:launch JSON``: the launch the node chose (one process, DDP, FSDP-QLoRA);
- ``@tunewise:blob-begin NAME SIZE SHA256`` / ``@tunewise:blob NAME BASE64`` ... / ``@tunewise:blob-end NAME``:
  a ``.tar.gz`` of a finished checkpoint (``checkpoint-N``) or, at the end, of the job's results (``result``:
  adapter, metrics, predictions, splits, labels, model card);
- ``@tunewise:exit CODE``: the training's exit code.

Here, :class:`LogIngest` reads those lines back into the job folder: plain lines to ``train.log``, events to
``events.jsonl`` (a line already there is skipped, so reading a log twice is harmless), checkpoints to
``checkpoints/``, results into the folder. Every marked line is written with one ``write`` call, so the lines of
the training processes never tear it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import logging
import os
import re
import shutil
import tarfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "@tunewise:"
CHUNK_BYTES = 48 * 1024
"""Bytes of a blob per log line (64 KiB of base64)."""
RESULT = "result"
"""The blob of the job's results, sent last."""
KEEP_CHECKPOINTS = 2
"""Checkpoints kept in the local job folder, as the Trainer keeps (``save_total_limit``)."""

_BLOB_NAME = re.compile(r"^(result|checkpoint-\d+)$")


def pack(root: Path, names: Iterable[str]) -> bytes:
    """A ``.tar.gz`` of the entries ``names`` of ``root`` (files or folders), paths relative to ``root``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in names:
            tar.add(root / name, arcname=name)
    return buffer.getvalue()


class LogWriter:
    """Writes the job's log on the node: plain lines and marked ones, each line with one ``write`` call.

    Args:
        fd: The file descriptor of the log (the entry point's stdout).
    """

    def __init__(self, fd: int = 1) -> None:
        self.fd = fd
        self._lock = threading.Lock()

    def line(self, text: str | bytes) -> None:
        """Write one line (a newline is added when missing)."""
        data = text if isinstance(text, bytes) else text.encode("utf-8", errors="replace")
        if not data.endswith(b"\n"):
            data += b"\n"
        with self._lock:
            view = memoryview(data)
            while view:  # a pipe or file may take less than all of it
                view = view[os.write(self.fd, view):]

    def event(self, seq: int, raw: str) -> None:
        """Forward line ``seq`` of ``events.jsonl`` (its raw JSON text)."""
        self.line(f"{PREFIX}event {seq} {raw.strip()}")

    def launch(self, launch: dict[str, Any]) -> None:
        """Say which launch the node chose."""
        self.line(f"{PREFIX}launch {json.dumps(launch)}")

    def blob(self, name: str, data: bytes) -> None:
        """Send ``data`` (a ``.tar.gz`` from :func:`pack`) as blob ``name``."""
        digest = hashlib.sha256(data).hexdigest()
        self.line(f"{PREFIX}blob-begin {name} {len(data)} {digest}")
        for start in range(0, len(data), CHUNK_BYTES):
            self.line(f"{PREFIX}blob {name} {base64.b64encode(data[start:start + CHUNK_BYTES]).decode()}")
        self.line(f"{PREFIX}blob-end {name}")

    def exit(self, code: int) -> None:
        """Say how the training ended."""
        self.line(f"{PREFIX}exit {code}")


class LogIngest:
    """Reads a Ray job's log into its job folder (see the module docstring for the lines).

    Args:
        folder: The job folder.
        skip_lines: Complete lines of this log already read into the folder (an earlier reader's
            :attr:`safe_lines`): they are skipped.
    """

    def __init__(self, folder: Path, skip_lines: int = 0) -> None:
        self.folder = folder
        self.lines = 0
        """Complete lines seen so far (skipped ones included)."""
        self.safe_lines = skip_lines
        """Lines after which a new reader may start: none of them is inside a blob being received."""
        self.skip = skip_lines
        self.exit_code: int | None = None
        self.launch: dict[str, Any] | None = None
        self._partial = ""
        self._events = count_lines(folder / "events.jsonl")
        self._blob: tuple[str, int, str, Any] | None = None  # name, size, sha256, open part file

    def feed(self, text: str) -> None:
        """Take the next piece of the log (any size: a partial last line waits for the rest)."""
        text = self._partial + text
        lines = text.split("\n")
        self._partial = lines.pop()
        plain: list[str] = []
        for line in lines:
            self.lines += 1
            if self.lines <= self.skip:
                continue
            if line.startswith(PREFIX):
                self._write_plain(plain)
                plain = []
                self._marked(line[len(PREFIX):])
            else:
                plain.append(line)
            if self._blob is None:
                self.safe_lines = self.lines
        self._write_plain(plain)

    def restart(self) -> None:
        """Read the log again from its first line (a new stream of it): the lines read so far are skipped."""
        self.skip = max(self.skip, self.lines)
        self.lines = 0
        self._partial = ""

    def flush(self) -> None:
        """Take a last line that has no newline (the log is complete)."""
        if self._partial:
            self.feed("\n")

    def close(self) -> None:
        """Drop a blob that never ended (its part file is removed)."""
        if self._blob is not None:
            name, _, _, handle = self._blob
            handle.close()
            with contextlib.suppress(OSError):
                (self.folder / f".incoming-{name}.part").unlink()
            self._blob = None

    # -- the lines ---------------------------------------------------------------------------------------
    def _write_plain(self, lines: list[str]) -> None:
        if lines:
            with (self.folder / "train.log").open("a", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")

    def _marked(self, body: str) -> None:
        kind, _, rest = body.partition(" ")
        try:
            if kind == "event":
                self._event(rest)
            elif kind == "launch":
                self.launch = json.loads(rest)
            elif kind == "exit":
                self.exit_code = int(rest)
            elif kind.startswith("blob"):
                self._blob_line(kind, rest)
            else:
                log.warning("unknown line from the Ray job: %s", body[:80])
        except (ValueError, OSError, tarfile.TarError) as exc:  # one bad line must not stop the rest of the log
            log.warning("could not read a line of the Ray job's log (%s): %s", exc, body[:80])

    def _event(self, rest: str) -> None:
        seq_text, _, raw = rest.partition(" ")
        seq = int(seq_text)
        if seq < self._events:
            return  # already in the job folder
        json.loads(raw)  # only whole JSON objects go into the event log
        with (self.folder / "events.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(raw + "\n")
        self._events = seq + 1

    def _blob_line(self, kind: str, rest: str) -> None:
        if kind == "blob-begin":
            name, size, digest = rest.split(" ")
            if not _BLOB_NAME.match(name):
                raise ValueError(f"unexpected blob name {name!r}")
            self.close()
            handle = (self.folder / f".incoming-{name}.part").open("wb")
            self._blob = (name, int(size), digest, handle)
            return
        name, _, payload = rest.partition(" ")
        if self._blob is None or self._blob[0] != name:
            return  # the middle of a blob whose beginning an earlier reader took: it is sent again in full
        if kind == "blob":
            self._blob[3].write(base64.b64decode(payload))
        elif kind == "blob-end":
            self._land_blob()

    def _land_blob(self) -> None:
        assert self._blob is not None
        name, size, digest, handle = self._blob
        handle.close()
        self._blob = None
        part = self.folder / f".incoming-{name}.part"
        data = part.read_bytes()
        part.unlink()
        if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
            raise ValueError(f"blob {name} arrived damaged ({len(data)} of {size} bytes)")
        staging = self.folder / f".incoming-{name}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                tar.extractall(staging, filter="data")  # no absolute paths, no "..", no links out
            if name == RESULT:
                for entry in staging.iterdir():
                    _replace(entry, self.folder / entry.name)
            else:
                checkpoints = self.folder / "checkpoints"
                checkpoints.mkdir(exist_ok=True)
                _replace(staging / name, checkpoints / name)
                _prune_checkpoints(checkpoints)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


class LogTail:
    """Follows one Ray job's log (``tail_job_logs``) in a thread of its own and feeds it to an ingest.

    Restarted when the stream drops while the job still runs: each new stream starts from the top, and the
    lines already read are skipped.

    Args:
        client: Returns the Jobs API client.
        sid: The Ray job's submission id.
        ingest: Where the log goes.
    """

    def __init__(self, client: Callable[[], Any], sid: str, ingest: LogIngest) -> None:
        self.client = client
        self.sid = sid
        self.ingest = ingest
        self.lock = threading.Lock()
        self._generation = 0
        self._thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        """Start a stream when none is running."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self.lock:
            self._generation += 1
            self.ingest.restart()
            generation = self._generation
        self._thread = threading.Thread(target=self._run, args=(generation,), daemon=True, name=f"tail-{self.sid}")
        self._thread.start()

    def finish(self, drain_s: float) -> None:
        """Give the stream ``drain_s`` seconds to end by itself, then stop using it."""
        if self._thread is not None:
            self._thread.join(timeout=drain_s)
        with self.lock:
            self._generation += 1

    def _run(self, generation: int) -> None:
        async def follow() -> None:
            async for chunk in self.client().tail_job_logs(self.sid):
                with self.lock:
                    if generation != self._generation:
                        return
                    self.ingest.feed(chunk)

        try:
            asyncio.run(follow())
        except Exception as exc:  # the stream dropped: the watcher starts another while the job runs
            log.debug("log stream of %s ended: %s", self.sid, exc)


def _replace(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, replacing what is there (a folder is swapped in whole)."""
    if target.is_dir() and not target.is_symlink():
        old = target.with_name(f".old-{target.name}")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        source.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        source.replace(target)


def _prune_checkpoints(root: Path) -> None:
    steps = sorted((int(p.name.split("-")[1]), p) for p in root.glob("checkpoint-*") if p.name[11:].isdigit())
    for _, path in steps[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(path, ignore_errors=True)


def count_lines(path: Path) -> int:
    """Complete or not, the lines of ``path`` (0 when it does not exist)."""
    try:
        with path.open("rb") as fh:
            return sum(1 for _ in fh)
    except FileNotFoundError:
        return 0
