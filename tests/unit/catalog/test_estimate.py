"""The QLoRA/LoRA/full training memory and time estimator."""

from __future__ import annotations

import pytest

from catalog.estimate import estimate_training_memory, fits, guess_shape
from catalog.estimate_time import estimate_training_time, format_duration
from catalog.hardware import Hardware
from catalog.plan_fit import REFERENCE_SHAPE, EstimateShape, fit_plan

CPU = Hardware(device="cpu", ram_gb=16.0, cpu_count=4)
T4 = Hardware(device="cuda", gpu_name="Tesla T4", gpu_memory_gb=14.6, ram_gb=32.0, cpu_count=8)
H100 = Hardware(
    device="cuda", gpu_name="NVIDIA H100 80GB HBM3", gpu_memory_gb=79.2, ram_gb=128.0, cpu_count=16
)


# Commonly published QLoRA needs (batch 1, 512 tokens, rank 16, gradient checkpointing); the QLoRA paper
# fine-tunes a 65B model on a single 48 GB GPU.
@pytest.mark.parametrize(
    ("params", "published_gb"),
    [(7_000_000_000, 6.0), (14_000_000_000, 12.0), (30_000_000_000, 24.0), (70_000_000_000, 48.0)],
)
def test_qlora_estimate_is_within_25_percent_of_published_figures(params: int, published_gb: float) -> None:
    estimate = estimate_training_memory(
        params, method="qlora", seq_len=512, batch_size=1, lora_rank=16, gradient_checkpointing=True
    )
    assert abs(estimate.total_gb - published_gb) / published_gb <= 0.25, estimate.describe()


def test_lora_parameter_count_matches_peft_for_llama2_7b() -> None:
    # peft reports 39,976,960 trainable params for Llama-2-7B with r=16 on all seven projections.
    estimate = estimate_training_memory(6_738_415_616, lora_rank=16, hidden_size=4096, num_layers=32)
    assert estimate.trainable_params == 39_976_960


def test_breakdown_adds_up_to_the_total() -> None:
    estimate = estimate_training_memory(1_500_000_000)
    assert set(estimate.breakdown) == {"weights", "lora+optimizer", "activations", "overhead"}
    assert sum(estimate.breakdown.values()) == pytest.approx(estimate.total_gb, abs=0.01)
    assert all(v > 0 for v in estimate.breakdown.values())


def test_memory_grows_with_params() -> None:
    sizes = [100_000_000, 500_000_000, 1_500_000_000, 7_000_000_000, 14_000_000_000, 70_000_000_000]
    totals = [estimate_training_memory(p).total_gb for p in sizes]
    assert totals == sorted(totals) and len(set(totals)) == len(totals)


@pytest.mark.parametrize("checkpointing", [True, False])
def test_memory_grows_with_seq_len_and_batch(checkpointing: bool) -> None:
    def total(seq_len: int, batch: int) -> float:
        return estimate_training_memory(
            7_000_000_000, seq_len=seq_len, batch_size=batch, gradient_checkpointing=checkpointing
        ).total_gb

    by_seq = [total(s, 4) for s in (128, 512, 2048, 8192)]
    by_batch = [total(512, b) for b in (1, 2, 8, 32)]
    assert by_seq == sorted(by_seq) and by_seq[0] < by_seq[-1]
    assert by_batch == sorted(by_batch) and by_batch[0] < by_batch[-1]


def test_gradient_checkpointing_reduces_activation_memory() -> None:
    with_ckpt = estimate_training_memory(
        7_000_000_000, seq_len=2048, batch_size=4, gradient_checkpointing=True
    )
    without = estimate_training_memory(
        7_000_000_000, seq_len=2048, batch_size=4, gradient_checkpointing=False
    )
    assert with_ckpt.total_gb < without.total_gb
    assert with_ckpt.breakdown["activations"] < without.breakdown["activations"] / 3
    assert with_ckpt.breakdown["weights"] == without.breakdown["weights"]


@pytest.mark.parametrize("params", [125_000_000, 1_500_000_000, 7_000_000_000, 70_000_000_000])
def test_qlora_needs_less_than_lora_which_needs_less_than_full(params: int) -> None:
    qlora, lora, full = (
        estimate_training_memory(params, method=m).total_gb for m in ("qlora", "lora", "full")
    )
    assert qlora < lora < full


def test_full_fine_tuning_costs_about_16_bytes_per_param() -> None:
    estimate = estimate_training_memory(7_000_000_000, method="full", batch_size=1)
    states_gb = estimate.breakdown["weights"] + estimate.breakdown["lora+optimizer"]
    assert states_gb == pytest.approx(7_000_000_000 * 16 / 1024**3, rel=0.01)
    assert estimate.trainable_params == 7_000_000_000


def test_cpu_computes_in_float32_so_dense_weights_and_activations_cost_more() -> None:
    cuda = estimate_training_memory(500_000_000, device="cuda")
    cpu = estimate_training_memory(500_000_000, device="cpu")
    assert cpu.breakdown["weights"] > cuda.breakdown["weights"]  # fp32 embeddings instead of bf16
    assert cpu.breakdown["activations"] > 2 * cuda.breakdown["activations"]
    assert cuda.hidden_size == cpu.hidden_size and cuda.num_layers == cpu.num_layers


# Peak RSS measured by bench/estimate_memory.py on this project's 2-core CPU machine (QLoRA r=16 on all 7
# projections, random-init Llama shapes, vocab 32,000); see bench/RESULTS.md. The CPU constants were fitted
# on the first two rows; the others are held out.
MEASURED_CPU_PEAKS = [
    # (hidden, layers, params, seq_len, batch, peak GB)
    (256, 4, 19_548_416, 256, 4, 1.24),
    (512, 8, 58_073_600, 256, 4, 2.18),
    (1024, 12, 217_342_976, 256, 4, 4.79),
    (1536, 16, 553_698_816, 256, 4, 8.93),
    (512, 8, 58_073_600, 512, 2, 2.14),
    (1024, 12, 217_342_976, 128, 2, 2.29),
]


@pytest.mark.parametrize(("hidden", "layers", "params", "seq_len", "batch", "measured"), MEASURED_CPU_PEAKS)
def test_cpu_estimate_is_within_25_percent_of_measured_peaks(hidden: int, layers: int, params: int, seq_len: int,
                                                             batch: int, measured: float) -> None:
    est = estimate_training_memory(params, seq_len=seq_len, batch_size=batch, lora_rank=16,
                                   gradient_checkpointing=False, hidden_size=hidden, num_layers=layers,
                                   vocab_size=32_000, device="cpu")
    assert abs(est.total_gb / measured - 1) <= 0.25


def test_encoder_without_lm_head_needs_less_activation_memory() -> None:
    with_head = estimate_training_memory(125_000_000, vocab_size=50_265, lm_head=True)
    encoder = estimate_training_memory(125_000_000, vocab_size=50_265, lm_head=False)
    assert encoder.breakdown["activations"] < with_head.breakdown["activations"]


def test_guessed_shape_is_llama_like() -> None:
    hidden, layers = guess_shape(7_000_000_000)
    assert 3600 <= hidden <= 4700 and 28 <= layers <= 38
    assert hidden % 64 == 0


@pytest.mark.parametrize(
    "kwargs", [{"params": 0}, {"params": 10**9, "seq_len": 0}, {"params": 10**9, "batch_size": -1}]
)
def test_invalid_sizes_raise(kwargs: dict[str, int]) -> None:
    params = kwargs.pop("params")
    with pytest.raises(ValueError):
        estimate_training_memory(params, **kwargs)  # type: ignore[arg-type]


def test_fits_applies_a_safety_margin() -> None:
    estimate = estimate_training_memory(7_000_000_000, batch_size=1)
    gpu = estimate.total_gb / 0.9
    assert fits(estimate, Hardware(device="cuda", gpu_memory_gb=gpu * 1.01, ram_gb=4, cpu_count=2))
    assert not fits(
        estimate, Hardware(device="cuda", gpu_memory_gb=estimate.total_gb * 1.05, ram_gb=64, cpu_count=2)
    )
    ram = estimate.total_gb / 0.7
    assert fits(estimate, Hardware(device="cpu", ram_gb=ram * 1.01, cpu_count=2))
    assert not fits(estimate, Hardware(device="cpu", ram_gb=estimate.total_gb * 1.2, cpu_count=2))


def test_7b_qlora_fits_a_t4_at_batch_1_but_70b_does_not_fit_16gb_of_ram() -> None:
    assert fits(estimate_training_memory(7_000_000_000, batch_size=1, device="cuda"), T4)
    assert not fits(estimate_training_memory(70_000_000_000, batch_size=1, device="cpu"), CPU)


# -------------------------------------------------------------------------------------------------- time


def test_time_is_positive_and_linear_in_tokens() -> None:
    one = estimate_training_time(1_500_000_000, 1_000_000, method="qlora", hardware=T4)
    two = estimate_training_time(1_500_000_000, 2_000_000, method="qlora", hardware=T4)
    assert one.seconds > 0
    assert two.seconds == pytest.approx(2 * one.seconds)
    assert two.flops == pytest.approx(2 * one.flops)


def test_time_flops_follow_6p_for_full_and_4p_for_lora() -> None:
    params, tokens = 1_000_000_000, 1000
    full = estimate_training_time(params, tokens, method="full", hardware=H100, gradient_checkpointing=False)
    lora = estimate_training_time(params, tokens, method="lora", hardware=H100, gradient_checkpointing=False)
    ckpt = estimate_training_time(params, tokens, method="lora", hardware=H100, gradient_checkpointing=True)
    assert full.flops == 6 * params * tokens
    assert lora.flops == 4 * params * tokens
    assert ckpt.flops == 6 * params * tokens


def test_time_depends_on_the_hardware() -> None:
    args = (500_000_000, 5_000_000)
    cpu = estimate_training_time(*args, method="qlora", hardware=CPU)
    t4 = estimate_training_time(*args, method="qlora", hardware=T4)
    h100 = estimate_training_time(*args, method="qlora", hardware=H100)
    assert cpu.seconds > t4.seconds > h100.seconds
    more_cores = Hardware(device="cpu", ram_gb=16.0, cpu_count=8)
    assert estimate_training_time(*args, method="qlora", hardware=more_cores).seconds == pytest.approx(
        cpu.seconds / 2
    )
    assert "CPU cores" in cpu.assumption and "H100" not in t4.assumption
    assert cpu.describe().startswith("about ")


def test_time_rejects_non_positive_input() -> None:
    with pytest.raises(ValueError):
        estimate_training_time(1_000_000, 0, method="qlora", hardware=CPU)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "1 second"),
        (45, "45 seconds"),
        (600, "10 minutes"),
        (3 * 3600, "3.0 hours"),
        (3 * 86400, "3.0 days"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_catalog_entries_are_estimated_with_their_real_shape() -> None:
    from catalog import get_model
    from catalog.plan_fit import estimate_for_entry

    qwen = get_model("Qwen/Qwen2.5-7B-Instruct")
    real = estimate_for_entry(qwen, T4, REFERENCE_SHAPE.model_copy(update={"batch_size": 1}))
    generic = estimate_training_memory(qwen.params, batch_size=1, device="cuda")
    assert (real.hidden_size, real.num_layers) == (3584, 28)
    # Its 152k-token vocabulary makes the logits far larger than a 32k-vocabulary guess.
    assert real.breakdown["activations"] > 2 * generic.breakdown["activations"]

    minilm = get_model("sentence-transformers/all-MiniLM-L6-v2")
    small = estimate_for_entry(minilm, CPU, REFERENCE_SHAPE.model_copy(update={"seq_len": 4096}))
    assert small.total_gb < 1.5 and fits(small, CPU)


def _machine(ram_gb: float) -> Hardware:
    return Hardware(device="cpu", cpu_count=2, ram_gb=ram_gb)


def _plan(seq_len: int, batch_size: int) -> EstimateShape:
    """A QLoRA plan, r = 16, no accumulation or checkpointing yet."""
    return EstimateShape(method="qlora", seq_len=seq_len, batch_size=batch_size, gradient_accumulation=1,
                         lora_rank=16, gradient_checkpointing=False, epochs=1.0)


def test_fit_plan_keeps_a_plan_that_fits() -> None:
    fit = fit_plan(22_700_000, _machine(24), _plan(128, 16), hidden_size=384, num_layers=6,
                   vocab_size=30_522, lm_head=False)
    assert fit is not None and fit.changes == [] and fit.batch_size == 16


def test_fit_plan_trades_batch_for_accumulation_and_keeps_the_effective_batch() -> None:
    # a 554M model at 16 x 512 tokens needs more than 70 % of 6 GB on a CPU, even with checkpointing
    shape = {"hidden_size": 1536, "num_layers": 16, "vocab_size": 32_000}
    assert estimate_training_memory(553_698_816, seq_len=512, batch_size=16, gradient_checkpointing=True,
                                    device="cpu", **shape).total_gb > 6 * 0.7
    fit = fit_plan(553_698_816, _machine(6), _plan(512, 16), **shape)
    assert fit is not None
    assert fit.gradient_checkpointing and fit.estimate.total_gb <= 6 * 0.7
    assert fit.batch_size < 16 and fit.batch_size * fit.gradient_accumulation == 16
    assert fit.seq_len == 512
    assert len(fit.changes) == 2 and "accumulation" in fit.changes[1]


def test_fit_plan_gives_up_when_nothing_fits() -> None:
    assert fit_plan(70_000_000_000, _machine(8), _plan(512, 8)) is None
