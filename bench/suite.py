"""The benchmark suite: each benchmark as a function of ``quick`` that returns named figures and raw data.

The measuring is done by the scripts beside this module (``train_throughput``, ``estimate_memory``,
``serve_pair``, ``guide_latency``, ``app_start``); here they are given their quick or full shapes and their
results are turned into ratios against the baseline measured in the same run, each with its goal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.common import BenchOutcome, Figure, Goal


def train_throughput(quick: bool) -> BenchOutcome:
    """Our trainer vs the best plain ``Trainer`` + peft set-up (and vs a tutorial's): useful tokens/s."""
    from bench import train_throughput as tt

    argv = ["--steps", "8", "--rows", "400"] if quick else ["--steps", "30"]
    raw = tt.measure(argv)
    ours, best, tutorial = raw["ours"], raw["best_hf"], raw["tutorial"]
    figures = {
        "train_tokens_per_s_vs_best_hf": Figure(
            ours["tokens_per_s"] / best["tokens_per_s"], Goal(">=", 1.5),
            what="non-padding tokens/s, ours / Trainer+peft with DataCollatorWithPadding, group_by_length, fp32 "
                 f"(ours bf16 autocast: {ours['bf16_autocast']})"),
        "train_tokens_per_s_vs_tutorial": Figure(
            ours["tokens_per_s"] / tutorial["tokens_per_s"],
            what="non-padding tokens/s, ours / Trainer+peft padded to max_length, random batches (informative)"),
        "train_padding_share": Figure(ours["padding_share"] / tutorial["padding_share"], Goal("<=", 0.25),
                                      what="share of padding tokens, ours / padded tutorial set-up"),
        "train_peak_rss": Figure(ours["peak_gb"] / best["peak_gb"],
                                 what="peak RSS of the training process, ours / best plain HF (informative)"),
    }
    return BenchOutcome(figures, {"argv": argv, **raw})


def causal_sft(quick: bool) -> BenchOutcome:
    """SmolLM2-135M chat SFT with QLoRA: our trainer vs TRL ``SFTTrainer`` + peft with its defaults."""
    from bench import causal_sft as cs

    argv = ["--steps", "4"] if quick else ["--steps", "10"]
    raw = cs.measure(argv)
    ours, trl = raw["ours"], raw["trl"]
    figures = {
        "causal_sft_tokens_per_s_vs_trl": Figure(
            ours["tokens_per_s"] / trl["tokens_per_s"], Goal(">=", 1.5),
            what="non-padding tokens/s, ours / TRL SFTTrainer + peft defaults, same 4-bit base and rows"),
        "causal_sft_peak_rss_vs_trl": Figure(ours["peak_gb"] / trl["peak_gb"],
                                             what="peak RSS, ours / TRL (informative)"),
    }
    return BenchOutcome(figures, {"argv": argv, **raw})


def qlora_memory(quick: bool) -> BenchOutcome:
    """Peak memory of LoRA on a 4-bit NF4 base (the cached pre-quantized copy later jobs load, and quantizing
    while loading as the first job does) vs on a float32 base, same random-init Llama shape."""
    from bench import estimate_memory as em

    shape = {"size": "mid" if quick else "large", "steps": 2 if quick else 3, "seq_len": 32, "batch": 1}
    runs = {bits: em.measure(shape["size"], shape["steps"], shape["seq_len"], shape["batch"], bits)
            for bits in (32, 4, em.PREQUANTIZED)}
    cached, q, f = runs[em.PREQUANTIZED], runs[4], runs[32]

    def working_set(run: dict[str, Any]) -> float:
        # anonymous growth over the pre-load baseline + weights used in place from the mapped checkpoint
        return run["anon_peak_gb"] - run["anon_before_load_gb"] + run["mapped_weights_gb"]

    figures = {
        "qlora_peak_rss": Figure(cached["peak_gb"] / f["peak_gb"], Goal("<=", 0.5),
                                 what="peak RSS, QLoRA from the cached 4-bit copy / LoRA on the float32 base"),
        "qlora_peak_rss_first_job": Figure(
            q["peak_gb"] / f["peak_gb"],
            what="peak RSS, QLoRA quantizing the float checkpoint while loading (the first job) / float32 "
                 "(informative)"),
        "qlora_load_time_cached_vs_quantizing": Figure(
            cached["load_s"] / q["load_s"],
            what="seconds to load the base, cached 4-bit copy / quantizing the float checkpoint (informative)"),
        "qlora_model_working_set": Figure(
            working_set(cached) / working_set(f),
            what="(peak anonymous growth + weights still mapped from the checkpoint), cached 4-bit / float32 "
                 "(informative)"),
    }
    return BenchOutcome(figures, {"shape": shape, "float32": f, "nf4_quantizing": q, "nf4_cached": cached,
                                  "working_set_gb": {"float32": working_set(f), "nf4": working_set(cached)}})


def estimator(quick: bool) -> BenchOutcome:
    """``catalog.estimate``'s QLoRA peak-memory prediction vs the peak measured in a fresh process."""
    from bench import estimate_memory as em

    sizes = ["small"] if quick else ["small", "mid"]
    seq_len, batch = 256, 4
    figures, raw = {}, {}
    for size in sizes:
        measured = em.measure(size, 2, seq_len, batch)
        predicted = em.estimate_for(measured, seq_len, batch)
        figures[f"estimator_memory_{size}"] = Figure(
            predicted["memory_gb"] / measured["peak_gb"], Goal("within", 0.25),
            what=f"estimated / measured QLoRA peak memory, {measured['params'] / 1e6:.0f}M random Llama, "
                 f"{batch}x{seq_len} tokens")
        raw[size] = {"measured": measured, "estimate": predicted}
    return BenchOutcome(figures, raw)


def serve_pair(quick: bool) -> BenchOutcome:
    """Base and tuned side by side from one model vs the base alone (memory) and vs two calls (time)."""
    from bench import serve_pair as sp

    argv = (["--hidden", "256", "--layers", "4", "--prompts", "4", "--new-tokens", "16", "--memory-runs", "1",
             "--repeats", "2"] if quick else [])
    mem, t = sp.measure(sp.parser().parse_args(argv))
    base, pair = mem["base"], mem["pair"]
    figures = {
        "serve_pair_weights": Figure(pair["weights_mb"] / base["weights_mb"], Goal("<=", 1.15),
                                     what="weights held, pair (one model, adapter on/off) / base alone"),
        "serve_pair_peak_rss": Figure(pair["rss_growth_mb"] / base["rss_growth_mb"], Goal("<=", 1.15),
                                      what="peak RSS growth answering N prompts for base AND tuned / base "
                                           "alone answering N prompts"),
        "serve_pair_peak_rss_same_rows": Figure(
            pair["rss_growth_mb"] / mem["base-2x"]["rss_growth_mb"],
            what="peak RSS growth, pair / base alone answering the same 2N rows (informative)"),
        "serve_naive_weights": Figure(mem["naive"]["weights_mb"] / base["weights_mb"],
                                      what="weights held, two loaded copies / base alone (informative)"),
        "serve_mixed_batch_speedup": Figure(t["two_calls_s"] / t["mixed_s"], Goal(">=", 1.5),
                                            what="two calls (base, then tuned) / one mixed-batch generate"),
        "serve_adapter_decode": Figure(t["tokens_per_s_adapter"] / t["tokens_per_s_base"], Goal(">=", 0.75),
                                       what="batch-1 decode tokens/s, with adapter / adapter disabled"),
        "serve_decode_vs_plain_generate": Figure(
            t["tokens_per_s_adapter"] / t["tokens_per_s_plain_generate"], Goal(">=", 0.9),
            what=f"batch-1 decode tokens/s, the pair's tuned side ({t['served_precision']}) / plain float32 "
                 "generate of the base"),
    }
    return BenchOutcome(figures, {"argv": argv, "memory": mem, "timings": t})


def guide_latency(quick: bool) -> BenchOutcome:
    """Offline guide: time to first streamed token and to the full reply over a scripted conversation."""
    from bench import guide_latency as gl

    raw = gl.measure(conversations=1 if quick else 3)
    summary = gl.summarise(raw)
    figures = {
        "guide_first_token_p50_ms": Figure(summary["first_token_p50_ms"], Goal("<", 300), unit="ms",
                                           what="p50 time to the first streamed token, warm turns "
                                                "(absolute budget from the issue, not a ratio)"),
        "guide_first_token_p95_ms": Figure(summary["first_token_p95_ms"], unit="ms",
                                           what="p95 time to the first streamed token, warm turns"),
        "guide_reply_first_token_p50_ms": Figure(summary["reply_first_token_p50_ms"], unit="ms",
                                                 what="p50 time to the first token after the last tool result"),
        "guide_full_reply_p50_ms": Figure(summary["full_p50_ms"], unit="ms", what="p50 time to the full reply"),
        "guide_full_reply_p95_ms": Figure(summary["full_p95_ms"], unit="ms", what="p95 time to the full reply"),
        "guide_cold_first_token_ms": Figure(summary["cold_first_token_ms"], unit="ms",
                                            what="first turn of a fresh process: time to the first token"),
        "guide_cold_full_reply_ms": Figure(summary["cold_full_ms"], unit="ms",
                                           what="first turn of a fresh process: time to the full reply"),
    }
    if raw["jobs_started"]:  # the script never confirms a plan: a job here is a bug worth shouting about
        raise RuntimeError(f"the scripted conversation started {raw['jobs_started']} job(s)")
    return BenchOutcome(figures, {"summary": summary, **raw})


def app_start(quick: bool) -> BenchOutcome:
    """Seconds from process start to the first page served, our app vs a bare ``gr.Blocks``."""
    from bench import app_start as aps

    raw = aps.measure(runs=2 if quick else 3)
    figures = {
        "app_start": Figure(raw["ours_s"] / raw["baseline_s"], Goal("<=", 2.0),  # type: ignore[operator]
                            what="seconds to first GET / = 200, app.py / bare gr.Blocks with one Markdown "
                                 "(goal proposed here, not from the issue)"),
    }
    return BenchOutcome(figures, raw)


def advisor(quick: bool) -> BenchOutcome:
    """The advisor on held-out descriptions: both-right accuracy and assess latency after warm-up.

    Goal sets ``advisor_heldout_v12.jsonl`` and ``_v13`` (120 each), written by other authors from the task list
    and the five decision rules only, who saw neither the corpus nor the advisor; none of their rows has been read.
    (The earlier sets were read to design parser changes and are now part of the corpus, with profile fields
    labelled by yet other authors: v1-v7 in ``assistant/advisor/corpus/descriptions_other_authors.jsonl``, v8-v11
    in ``descriptions_read_heldout.jsonl``.)
    """
    from bench import advisor_accuracy

    fixtures = advisor_accuracy.HELDOUT.parent
    runs = {name: advisor_accuracy.measure(fixtures / f"advisor_heldout_{name}.jsonl") for name in GOAL_SETS}
    rows = sum(run["rows"] for run in runs.values())
    both = sum(run["both"] * run["rows"] for run in runs.values()) / rows
    answered = sum(run["rows"] * (1 - run["asked"]) for run in runs.values())
    answered_right = sum((run["both_when_answered"] or 0.0) * run["rows"] * (1 - run["asked"]) for run in runs.values())
    goal = "+".join(GOAL_SETS)
    figures = {
        "advisor_both_right_heldout": Figure(both, Goal(">=", 0.95), unit="share",
                                             what=f"task and decision both right on {rows} held-out descriptions "
                                                  f"by other authors, never read or used to tune ({goal}; asking "
                                                  "counts as wrong)"),
        **{f"advisor_both_right_heldout_{name}": Figure(run["both"], unit="share", what=f"the same on {name} alone")
           for name, run in runs.items()},
        "advisor_both_right_when_answered": Figure(answered_right / answered if answered else 0.0, unit="share",
                                                   what=f"both right among the {goal} descriptions it answered "
                                                        "(informative)"),
        "advisor_p95_ms": Figure(max(r["latency_ms"]["p95"] for r in runs.values()), Goal("<=", 300.0), unit="ms",
                                 what="advise() p95 latency after warm-up, offline reader (worst of the sets)"),
    }
    return BenchOutcome(figures, runs)


#: The held-out sets of the goal figure, by other authors who saw only the task list and the five rules; no row read.
GOAL_SETS = ("v12", "v13")


def ray_overhead(quick: bool) -> BenchOutcome:
    """The same MiniLM job submitted to a loopback Ray cluster vs run by the local executor: wall time."""
    from bench import ray_overhead as ro

    argv = ["--runs", "1", "--rows", "400"] if quick else ["--runs", "2", "--two-nodes"]
    raw = ro.measure(argv)
    figures = {
        "ray_job_wall_vs_local": Figure(
            raw["ratio"], Goal("<=", 1.5),
            what="submission to succeeded with results in the job folder, Ray executor / local executor, same "
                 "MiniLM job (goal proposed here, not from the issue)"),
        "ray_job_overhead_s": Figure(raw["overhead_s"], unit="s",
                                     what="seconds the Ray path adds to that job (informative)"),
    }
    return BenchOutcome(figures, {"argv": argv, **raw})


BENCHMARKS: dict[str, Callable[[bool], BenchOutcome]] = {
    "advisor": advisor,
    "guide_latency": guide_latency,
    "estimator": estimator,
    "app_start": app_start,
    "train_throughput": train_throughput,
    "causal_sft": causal_sft,
    "qlora_memory": qlora_memory,
    "serve_pair": serve_pair,
    "ray_overhead": ray_overhead,
}
"""Every benchmark by name, cheapest first (``--only`` takes these names)."""
