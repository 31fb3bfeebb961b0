"""Training: the entry point ``python -m finetune.train CONFIG`` and what it is built from.

``main.py`` (setup, fit, save, validate: a leaf that only ``__main__`` and tests import), ``model.py`` (4-bit
base + LoRA, loading for inference), ``packaged.py`` (a model shipped as a GGUF file in a Python package,
converted once into a model folder), ``distributed.py`` (multi-process launches and rank helpers),
``callbacks.py`` and ``events.py`` (the job's progress log), ``outcome.py`` (exit codes and readable failure
reasons, shared with the job runner), ``preflight.py`` (the pre-flight fit every way of starting a job runs before
it is queued: length from the data, memory and CPU time from the machine; ``budget.py`` its scoring-time and
multi-GPU figures), ``speed.py`` (bf16 autocast where the CPU has it, logits only at learned tokens) and
``quantized.py`` (the cached pre-quantized 4-bit copy of a decoder-only base). May import ``finetune.config``, ``finetune.data``, ``finetune.tasks``,
``finetune.export`` (the model card), ``finetune.redact``, ``finetune.workspace`` and ``catalog``; never
jobs or serving.
"""
