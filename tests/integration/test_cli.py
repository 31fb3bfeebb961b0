"""The tunewise command line, run as a real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tunewise(*args: str, home: Path, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``tunewise ARGS`` with its own workspace (from ``cwd``, default the workspace; ``env`` on top)."""
    env = {**os.environ, "TUNEWISE_HOME": str(home), "TUNEWISE_OFFLINE": "1", **env}
    return subprocess.run([sys.executable, "-m", "assistant.cli.main", *args], capture_output=True, text=True,
                          env=env, cwd=cwd or home, timeout=300)


def test_help_lists_commands(tmp_path: Path) -> None:
    out = tunewise("--help", home=tmp_path)
    assert out.returncode == 0
    for command in ("ui", "advise", "catalog", "data", "train", "jobs", "compare"):
        assert command in out.stdout


def test_version(tmp_path: Path) -> None:
    out = tunewise("--version", home=tmp_path)
    assert out.returncode == 0
    assert out.stdout.startswith("tunewise ")


def test_ui_help_has_host_port_share(tmp_path: Path) -> None:
    out = tunewise("ui", "--help", home=tmp_path)
    assert out.returncode == 0
    assert "--host" in out.stdout and "--port" in out.stdout and "--share" in out.stdout


def test_advise_json(tmp_path: Path) -> None:
    out = tunewise("advise", "--json", "Route 5,000 labelled support tickets a week to 8 teams automatically.",
                   home=tmp_path)
    assert out.returncode == 0, out.stderr
    advice = json.loads(out.stdout)
    assert set(advice) == {"decision", "task", "confidence", "reasons", "questions", "models"}
    assert advice["decision"] == "fine-tune"
    assert advice["task"] == "text-classification"


def test_catalog_json_filters(tmp_path: Path) -> None:
    out = tunewise("catalog", "--task", "text-classification", "--license", "permissive", "--json", home=tmp_path)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows and all("text-classification" in r["tasks"] for r in rows)
    assert rows[0]["id"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert rows[0]["available"] == "packaged"


def test_data_check_example_and_bad_file(tmp_path: Path) -> None:
    ok = tunewise("data", "check", "examples/support_tickets.csv", home=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "800 rows" in ok.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\nhello,a\n,b\nworld,\n", encoding="utf-8")
    out = tunewise("data", "check", "bad.csv", home=tmp_path)
    assert out.returncode == 2
    assert "Row 2, field 'text'" in out.stdout and "Row 3, field 'label'" in out.stdout
    assert "Traceback" not in out.stdout + out.stderr


def test_data_check_json_has_the_documented_keys_and_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "ner.jsonl"
    bad.write_text('{"tokens": ["Anna", "rides"], "ner_tags": ["B-PER", "O"]}\n'
                   '{"tokens": ["Bob"], "ner_tags": ["B-PER", "O"]}\n{broken\n', encoding="utf-8")
    out = tunewise("data", "check", "ner.jsonl", "--json", home=tmp_path)
    assert out.returncode == 2, out.stderr
    report = json.loads(out.stdout)
    assert {"ok", "task", "format", "rows", "columns", "labels", "problems", "warnings"} <= set(report)
    assert report["ok"] is False and report["task"] == "token-classification" and report["format"] == "jsonl"
    assert all(set(p) == {"row", "field", "message", "fix"} for p in report["problems"])
    assert {(p["row"], p["field"]) for p in report["problems"]} >= {(2, "ner_tags"), (3, None)}
    good = tunewise("data", "check", "examples/qa_handbook.jsonl", "--json", home=tmp_path)
    assert good.returncode == 0 and json.loads(good.stdout)["task"] == "question-answering"


def test_data_check_overrides_and_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("body,intent\n" + "".join(f"text {i},{'ab'[i % 2]}\n" for i in range(20)),
                                    encoding="utf-8")
    out = tunewise("data", "check", "t.csv", "--json", "--column", "text=body", "--column", "label=intnt",
                   home=tmp_path)
    assert out.returncode == 2
    problem = json.loads(out.stdout)["problems"][0]
    assert problem["field"] == "intnt" and "Did you mean 'intent'" in problem["fix"]
    forced = tunewise("data", "check", "t.csv", "--task", "summarization", home=tmp_path)
    assert forced.returncode == 2 and "does not look like summarization data" in forced.stdout
    (tmp_path / "blob.csv").write_bytes(bytes(range(256)) * 8)
    blob = tunewise("data", "check", "blob.csv", "--json", home=tmp_path)
    assert blob.returncode == 2 and "binary" in json.loads(blob.stdout)["problems"][0]["message"]
    assert "Traceback" not in blob.stdout + blob.stderr


def test_data_check_reads_a_file_in_the_users_home(tmp_path: Path) -> None:
    """The first command a newcomer runs on their own file works: the command line is the user, not the page."""
    import shutil

    user = tmp_path / "user"
    (user / "datasets").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "support_tickets.csv", user / "datasets" / "tickets.csv")
    workspace = tmp_path / "workspace"
    out = tunewise("data", "check", "~/datasets/tickets.csv", home=workspace, HOME=str(user))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "800 rows" in out.stdout and "outside the workspace" not in out.stdout + out.stderr
    here = tunewise("data", "check", "tickets.csv", home=workspace, cwd=user / "datasets")  # from the current folder
    assert here.returncode == 0 and "800 rows" in here.stdout, here.stderr
    missing = tunewise("data", "check", "nope.csv", home=workspace, cwd=user)
    assert missing.returncode == 2 and "'nope.csv' was not found" in missing.stderr and "Upload" not in missing.stderr


def test_train_detects_the_task_picks_the_model_and_prints_the_fitted_plan(tmp_path: Path) -> None:
    """``tunewise train --data FILE`` with no --task or --model: the chat file is chat, the packaged SmolLM2 is the
    chat model here, and the pre-flight fit's plan (not the OOM-killed 16 x 1024 one) is printed before queuing."""
    import shutil

    shutil.copy(ROOT / "examples" / "chat_house_style.jsonl", tmp_path / "chats.jsonl")
    out = tunewise("train", "--data", "chats.jsonl", "--detach", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "task: chat (detected from the data's columns" in out.stderr
    assert "model: HuggingFaceTB/SmolLM2-135M-Instruct (the best chat model available here" in out.stderr
    assert "changed: max length 1024 -> 384 tokens" in out.stderr and "changed: batch 16 -> " in out.stderr
    job_id = out.stdout.strip().splitlines()[-1]  # --detach prints the job id, as its help says
    folder = tmp_path / "jobs" / job_id
    shown = tunewise("jobs", "show", str(folder), "--json", home=tmp_path)  # ... and the folder names it too
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == job_id, shown.stderr
    config = (folder / "config.yaml").read_text(encoding="utf-8")
    assert "max_length: 384" in config and "gradient_accumulation: 4" in config
    stopped = tunewise("jobs", "cancel", job_id, home=tmp_path)
    assert stopped.returncode == 0, stopped.stderr


def test_jobs_list_empty_json(tmp_path: Path) -> None:
    out = tunewise("jobs", "list", "--json", home=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_train_waits_with_progress_and_reports_metrics(tmp_path: Path) -> None:
    rows = ["text,label"] + [f"I was charged twice on my card for invoice {i}" + ",billing" for i in range(15)] + \
           [f"my parcel {i} never arrived so where is it" + ",delivery" for i in range(15)]
    (tmp_path / "small.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tunewise("train", "--data", "small.csv", "--epochs", "1", "--batch-size", "8", home=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "succeeded" in out.stderr
    assert "held-out accuracy: tuned" in out.stderr
    folder = Path(out.stdout.strip().splitlines()[-1])  # the last line is the job folder
    assert (folder / "metrics.json").is_file()
    job_id = folder.name
    shown = tunewise("jobs", "show", job_id, "--json", home=tmp_path)
    info = json.loads(shown.stdout)
    assert info["status"] == "succeeded" and info["progress"] == 100.0
    assert Path(info["folder"]) == folder
    rerun = tunewise("train", str(folder / "config.yaml"), "--output", "jobs/rerun", "--max-steps", "2",
                     home=tmp_path)  # reproduce the job from its config, into a folder of our choosing
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert rerun.stdout.strip().splitlines()[-1] == str(tmp_path / "jobs" / "rerun")


def test_train_with_a_missing_file_fails_cleanly(tmp_path: Path) -> None:
    out = tunewise("train", "--data", "nope.csv", "--epochs", "1", home=tmp_path)
    assert out.returncode == 2  # refused before a job is queued: a user error, not a failed job
    assert "nope.csv" in out.stderr and "not found" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert not (tmp_path / "jobs").exists() or not any((tmp_path / "jobs").iterdir())


def test_advise_with_data_measures_the_base_and_the_probe(tmp_path: Path) -> None:
    import shutil

    shutil.copy(ROOT / "examples" / "support_tickets.csv", tmp_path / "tickets.csv")
    out = tunewise("advise", "--json", "--data", "tickets.csv", "Sort customer messages by intent.", home=tmp_path)
    assert out.returncode == 0, out.stderr
    advice = json.loads(out.stdout)
    assert advice["decision"] == "fine-tune" and advice["task"] == "text-classification"
    reasons = " ".join(advice["reasons"])
    assert "held-out rows" in reasons and "quick probe" in reasons


def test_presets_list_and_show(tmp_path: Path) -> None:
    listed = tunewise("presets", "list", "--json", home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    names = {r["name"] for r in rows}
    assert "text-classification-minilm-qlora" in names and all(r["task"] and r["model"] for r in rows)
    chat = tunewise("presets", "list", "--task", "chat", home=tmp_path)
    assert chat.returncode == 0 and "chat-qwen2.5-0.5b-qlora" in chat.stdout and "minilm" not in chat.stdout
    shown = tunewise("presets", "show", "text-classification-minilm-qlora", home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("# ") and "tunewise train finetune/config/presets/" in shown.stdout
    assert "task: text-classification" in shown.stdout
    typo = tunewise("presets", "show", "chat-qwen", home=tmp_path)
    assert typo.returncode == 2 and "Did you mean 'chat-qwen2.5-0.5b-qlora'" in typo.stderr


def test_train_key_value_typo_is_one_error_with_a_hint_and_queues_nothing(tmp_path: Path) -> None:
    out = tunewise("train", "--preset", "text-classification-minilm-qlora", "--epochs", "1", "train.max_step=5",
                   "lora.r=0", home=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "unknown field 'train.max_step': did you mean 'train.max_steps'?" in out.stderr
    assert "lora.r" in out.stderr and "2 problem(s)" in out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert not (tmp_path / "jobs").exists() or not any((tmp_path / "jobs").iterdir())


def test_ray_nodes_is_checked_before_anything_is_queued(tmp_path: Path) -> None:
    bad = tunewise("train", "--data", str(ROOT / "examples" / "support_tickets.csv"), "--ray-nodes", "0",
                   home=tmp_path)
    assert bad.returncode == 2 and "expected a whole number of nodes, at least 1, not '0'" in bad.stderr
    local = tunewise("train", "--data", str(ROOT / "examples" / "support_tickets.csv"), "--executor", "local",
                     "--ray-nodes", "2", home=tmp_path)
    assert local.returncode != 0 and "--ray-nodes is for jobs on a Ray cluster" in local.stderr
    assert "Traceback" not in local.stderr and not (tmp_path / "jobs").exists()
