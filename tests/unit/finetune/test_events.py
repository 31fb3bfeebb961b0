"""``events.jsonl``: append-only writes and incremental, tear-safe reads."""

from __future__ import annotations

import json
from pathlib import Path

from finetune.train.events import FINAL_EVENTS, EventReader, EventWriter, read_events


def test_writer_appends_one_json_object_per_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    first = writer.emit("start", total_steps=10, step=0)
    writer.emit("log", step=1, loss=0.5, note="naïve ✓")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == first
    assert first["type"] == "start" and first["total_steps"] == 10 and isinstance(first["time"], float)
    assert json.loads(lines[1])["note"] == "naïve ✓"


def test_reader_returns_only_new_events(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    reader = EventReader(path)
    assert reader.read_new() == []  # no file yet
    writer = EventWriter(path)
    writer.emit("start", step=0)
    writer.emit("log", step=1, loss=1.0)
    assert [e["type"] for e in reader.read_new()] == ["start", "log"]
    assert reader.read_new() == []
    writer.emit("log", step=2, loss=0.8)
    new = reader.read_new()
    assert [(e["type"], e["step"]) for e in new] == [("log", 2)]
    assert [e["type"] for e in reader.events] == ["start", "log", "log"]
    assert reader.offset == path.stat().st_size


def test_torn_last_line_waits_until_it_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    EventWriter(path).emit("start", step=0)
    full = json.dumps({"type": "log", "step": 1, "loss": 0.25}) + "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(full[:15])  # a writer crashed (or is still writing) mid-line
    reader = EventReader(path)
    assert [e["type"] for e in reader.read_new()] == ["start"]
    assert reader.read_new() == []
    assert read_events(path) == reader.events
    with path.open("a", encoding="utf-8") as fh:
        fh.write(full[15:])
    new = reader.read_new()
    assert new == [{"type": "log", "step": 1, "loss": 0.25}]
    assert [e["type"] for e in reader.events] == ["start", "log"]


def test_garbage_and_non_object_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"type": "start"}\nnot json at all\n[1, 2]\n"text"\n{"type": "done"}\n', encoding="utf-8")
    assert [e["type"] for e in read_events(path)] == ["start", "done"]


def test_multibyte_text_split_across_reads(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    data = (json.dumps({"type": "log", "msg": "€uro ✓"}, ensure_ascii=False) + "\n").encode("utf-8")
    cut = data.index("€".encode()) + 1  # in the middle of a 3-byte character
    path.write_bytes(data[:cut])
    reader = EventReader(path)
    assert reader.read_new() == []
    with path.open("ab") as fh:
        fh.write(data[cut:])
    assert reader.read_new() == [{"type": "log", "msg": "€uro ✓"}]


def test_final_events_are_the_terminal_ones() -> None:
    assert set(FINAL_EVENTS) == {"done", "error", "cancelled"}
