"""Training memory, estimated from the parameter count (QLoRA, LoRA or full fine-tuning).

Units: "GB" in this module means GiB (2**30 bytes), as torch and nvidia-smi report memory.

Memory = weights + LoRA/optimizer + activations + overhead, where, for P parameters, hidden size h,
L layers, vocabulary V, sequence length s, batch b and LoRA rank r:

* **weights** (frozen base). QLoRA stores every linear layer in 4-bit NF4: 0.5 bytes/param plus the
  quantisation constants - one fp32 absmax per 64-weight block is 0.5 bits/param, and double quantisation
  (the default) stores those as 8-bit with an fp32 scale per 256 blocks, about 0.127 bits/param. The token
  embedding and the output head are kept out of 4-bit (transformers skips lm_head); they stay in bf16:
  E = 2*V*h params with a language-model head, V*h without (at most half the model). LoRA keeps the
  base in bf16 (2 bytes/param); full fine-tuning holds bf16 weights (2 bytes/param).
* **lora+optimizer** (trainable state). LoRA adds r*(d_in + d_out) params per targeted linear
  (A is r x d_in, B is d_out x r); with all seven projections of a Llama-style block targeted
  (q, k, v, o: h -> h; gate, up: h -> f; down: f -> h; f = 2.6875*h) that is r*(8h + 3(h + f)) per
  layer (exactly peft's 39,976,960 for Llama-2-7B at r = 16). Each trainable param costs
  16 bytes under AdamW: fp32 weight, fp32 gradient, two fp32 moments. Full fine-tuning trains all P params
  at 14 bytes each on top of the bf16 weights (bf16 gradient, fp32 master copy, two fp32 moments), the
  classic 16 bytes/param of mixed-precision Adam.
* **activations** (bf16). Without checkpointing every layer keeps about 34*s*b*h bytes (Korthikanti et al.
  2022, with memory-efficient SDPA attention so no s*s score matrix is stored); with gradient checkpointing
  only each layer's input (2*s*b*h bytes per layer) is kept, plus one layer being recomputed. The logits add
  s*b*V*10 bytes (bf16 logits, their fp32 upcast for the loss, and its gradient) when the model has a
  language-model head; an encoder's classification head is negligible.
* **overhead**. On CUDA a fixed 0.75 GB for the CUDA context, cuBLAS workspace and kernels; on CPU/MPS
  0.5 GB for the Python/torch runtime. QLoRA also dequantises one weight matrix at a time to bf16
  (h*f*2 bytes). The caching allocator's fragmentation adds 10 % of everything above.

When ``hidden_size`` / ``num_layers`` are not given they are guessed from P with the Llama shape rule
P ~ 12*L*h**2 and h/L ~ 128 (true for Llama-2 7B/13B), i.e. h ~ (128*P/12)**(1/3), rounded to 64.
V defaults to 32,000. For batch 1, s = 512, r = 16 with checkpointing this gives about 6.0/10.4/20.0/43.3 GB
for 7B/14B/30B/70B, against the commonly published QLoRA needs of roughly 6/12/24/48 GB (the QLoRA paper
fits 65B on one 48 GB GPU); see ``tests/unit/catalog/test_estimate.py``.

Training time is estimated in :mod:`catalog.estimate_time`; sizing a plan to a machine (its shape, the
changes that make it fit) is in :mod:`catalog.plan_fit`.

**On a CPU** (and Apple MPS) tunewise computes in float32 with eager kernels, and the GPU figures above
do not hold: un-quantised weights (embeddings, output head, the whole base for LoRA) take 4 bytes/param,
a layer keeps about 294 bytes per token per hidden unit for the backward pass (float32; RMSNorm, rotary
and SiLU intermediates; LoRA keeps its own dropout-ed copies of every targeted input), and the loss keeps
12 bytes per token per vocabulary entry (float32 logits, log-softmax, gradient). These two constants are
measured (``bench/estimate_memory.py``: fitted on 20M and 58M random-init Llama shapes, then the 217M
shape was predicted within 1 %); glibc's fragmentation is inside them, so no 10 % is added on a CPU.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from catalog.hardware import Hardware

Method = Literal["qlora", "lora", "full"]
Device = Literal["cpu", "cuda", "mps"]

GIB = 1024**3
DEFAULT_VOCAB_SIZE = 32_000
FFN_RATIO = 2.6875  # Llama: 11008 / 4096
NF4_BYTES_PER_PARAM = 0.5
QUANT_CONST_BITS_DOUBLE = 8 / 64 + 32 / (64 * 256)  # ~0.127 bits/param
ADAMW_BYTES_PER_TRAINABLE = 16
FULL_EXTRA_BYTES_PER_PARAM = 14
ACTIVATION_BYTES_PER_TOKEN_HIDDEN = 34
LOGIT_BYTES_PER_TOKEN_VOCAB = 10
# CPU / MPS train in float32 with eager kernels (see finetune.train.model.compute_dtype). Measured with
# bench/estimate_memory.py on random-init Llama shapes (QLoRA r=16 on all 7 projections): fitted on the
# 20M and 58M models, within 1 % on the held-out 217M one. See "On a CPU" in the module docstring.
CPU_ACTIVATION_BYTES_PER_TOKEN_HIDDEN = 294
CPU_LOGIT_BYTES_PER_TOKEN_VOCAB = 12
CPU_DENSE_BYTES_PER_PARAM = 4
CUDA_CONTEXT_GB = 0.75
RUNTIME_GB = 0.5
FRAGMENTATION = 0.10
GPU_MEMORY_MARGIN = 0.90
RAM_MEMORY_MARGIN = 0.70


class MemoryEstimate(BaseModel):
    """Peak training memory, in GB (GiB), with the parts it adds up from."""

    model_config = ConfigDict(frozen=True)

    total_gb: float = Field(description="Estimated peak memory in GB.")
    breakdown: dict[str, float] = Field(description="weights, lora+optimizer, activations, overhead (GB).")
    trainable_params: int = Field(description="Parameters that receive gradients.")
    method: Method
    device: Device
    hidden_size: int
    num_layers: int

    def describe(self) -> str:
        """One line for humans, e.g. '5.6 GB (weights 3.6, lora+optimizer 0.6, ...)'."""
        parts = ", ".join(f"{k} {v:.2f}" for k, v in self.breakdown.items())
        return f"{self.total_gb:.1f} GB ({parts})"



def guess_shape(params: int) -> tuple[int, int]:
    """Guess (hidden_size, num_layers) of a Llama-shaped model with ``params`` parameters.

    Args:
        params: Total parameter count.

    Returns:
        Hidden size (a multiple of 64) and number of layers (at least 1).
    """
    hidden = max(64, int(round((128 * params / 12) ** (1 / 3) / 64)) * 64)
    layers = max(1, round(params / (12 * hidden * hidden)))
    return hidden, layers


def estimate_training_memory(
    params: int,
    *,
    method: Method = "qlora",
    seq_len: int = 512,
    batch_size: int = 8,
    lora_rank: int = 16,
    gradient_checkpointing: bool = True,
    hidden_size: int | None = None,
    num_layers: int | None = None,
    vocab_size: int | None = None,
    lm_head: bool = True,
    device: Device = "cuda",
) -> MemoryEstimate:
    """Estimate peak training memory; the formula is in the module docstring.

    Args:
        params: Total parameter count of the base model.
        method: ``qlora`` (4-bit base + LoRA), ``lora`` (bf16 base + LoRA) or ``full``.
        seq_len: Tokens per example after truncation/packing.
        batch_size: Examples per optimizer micro-step (per device).
        lora_rank: LoRA rank r (ignored for ``full``).
        gradient_checkpointing: Recompute activations in the backward pass.
        hidden_size: Model width; guessed from ``params`` when None.
        num_layers: Number of transformer blocks; guessed from ``params`` when None.
        vocab_size: Vocabulary size; 32,000 when None.
        lm_head: The model computes vocabulary logits (causal LM, seq2seq); False for encoder
            classifiers, whose task head is tiny.
        device: ``cuda``, ``cpu`` or ``mps`` (decides the fixed overhead).

    Returns:
        The estimate with its breakdown in GB.

    Raises:
        ValueError: A size argument is not positive.
    """
    for name, value in (("params", params), ("seq_len", seq_len), ("batch_size", batch_size)):
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}")
    if method != "full" and lora_rank <= 0:
        raise ValueError(f"lora_rank must be positive, got {lora_rank}")
    h = hidden_size or guess_shape(params)[0]
    n_layers = num_layers or max(1, round(params / (12 * h * h)))
    vocab = vocab_size or DEFAULT_VOCAB_SIZE
    ffn = FFN_RATIO * h
    tokens = seq_len * batch_size

    on_gpu = device == "cuda"
    dense_bytes = 2.0 if on_gpu else CPU_DENSE_BYTES_PER_PARAM
    act_bytes = ACTIVATION_BYTES_PER_TOKEN_HIDDEN if on_gpu else CPU_ACTIVATION_BYTES_PER_TOKEN_HIDDEN
    embedding_params = min((2 if lm_head else 1) * vocab * h, params // 2)
    if method == "qlora":
        quant_bytes = NF4_BYTES_PER_PARAM + QUANT_CONST_BITS_DOUBLE / 8
        weights = (params - embedding_params) * quant_bytes + embedding_params * dense_bytes
    else:
        weights = params * dense_bytes

    if method == "full":
        trainable = params
        trainable_bytes = params * FULL_EXTRA_BYTES_PER_PARAM
    else:
        per_layer = lora_rank * (8 * h + 3 * (h + ffn))
        trainable = int(per_layer * n_layers)
        trainable_bytes = trainable * ADAMW_BYTES_PER_TRAINABLE

    layer_activations = act_bytes * tokens * h
    if gradient_checkpointing:
        activations = n_layers * dense_bytes * tokens * h + layer_activations
    else:
        activations = n_layers * layer_activations
    if lm_head:
        activations += (LOGIT_BYTES_PER_TOKEN_VOCAB if on_gpu else CPU_LOGIT_BYTES_PER_TOKEN_VOCAB) * tokens * vocab

    fixed = CUDA_CONTEXT_GB * GIB if on_gpu else RUNTIME_GB * GIB
    dequant_buffer = h * ffn * dense_bytes if method == "qlora" else 0.0
    fragmentation = FRAGMENTATION if on_gpu else 0.0
    overhead = fixed + dequant_buffer + fragmentation * (weights + trainable_bytes + activations)

    breakdown = {
        "weights": weights / GIB,
        "lora+optimizer": trainable_bytes / GIB,
        "activations": activations / GIB,
        "overhead": overhead / GIB,
    }
    return MemoryEstimate(
        total_gb=round(sum(breakdown.values()), 3),
        breakdown={k: round(v, 3) for k, v in breakdown.items()},
        trainable_params=trainable,
        method=method,
        device=device,
        hidden_size=h,
        num_layers=n_layers,
    )


def memory_budget_gb(hardware: Hardware) -> float:
    """Memory training may use: 90 % of GPU memory on CUDA, 70 % of RAM on CPU or MPS (shared memory).

    Args:
        hardware: The machine.
    """
    if hardware.device == "cuda" and hardware.gpu_memory_gb:
        return hardware.gpu_memory_gb * GPU_MEMORY_MARGIN
    return hardware.ram_gb * RAM_MEMORY_MARGIN


def fits(estimate: MemoryEstimate, hardware: Hardware) -> bool:
    """Whether the estimated peak fits the machine with a safety margin (see :func:`memory_budget_gb`).

    Args:
        estimate: A memory estimate.
        hardware: The machine.
    """
    return estimate.total_gb <= memory_budget_gb(hardware)
