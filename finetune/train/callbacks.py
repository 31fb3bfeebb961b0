"""Trainer callbacks: progress events for the live loss curve, and a graceful stop on SIGTERM."""

from __future__ import annotations

import signal
import time
from typing import Any

from transformers import TrainerCallback

from finetune.train.events import EventWriter


class EventCallback(TrainerCallback):
    """Writes start / log / eval / checkpoint events with throughput and ETA."""

    def __init__(self, events: EventWriter, train_examples: int) -> None:
        self.events = events
        self.train_examples = train_examples
        self.started = time.time()
        self.start_step = 0
        self.start_tokens = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.started = time.time()
        self.start_step = state.global_step
        self.start_tokens = state.num_input_tokens_seen
        self.events.emit("start", total_steps=state.max_steps, step=state.global_step,
                         epochs=args.num_train_epochs, train_examples=self.train_examples,
                         world_size=args.world_size, per_device_batch_size=args.per_device_train_batch_size)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        logs = logs or {}
        if "loss" not in logs:
            return
        elapsed = max(time.time() - self.started, 1e-6)
        done = state.global_step - self.start_step
        per_step = elapsed / max(done, 1)
        # examples per optimizer step over all processes (a multi-GPU run steps every replica at once)
        batch = args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
        self.events.emit(
            "log", step=state.global_step, total_steps=state.max_steps, epoch=round(state.epoch or 0, 3),
            loss=round(float(logs["loss"]), 5), learning_rate=float(logs.get("learning_rate", 0.0)),
            examples_per_s=round(done * batch / elapsed, 2),
            tokens_per_s=round((state.num_input_tokens_seen - self.start_tokens) / elapsed, 1),
            eta_s=round(per_step * max(state.max_steps - state.global_step, 0), 1),
            progress=round(state.global_step / max(state.max_steps, 1), 4),
        )

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None,
                    **kwargs: Any) -> None:
        clean = {k.removeprefix("eval_"): round(float(v), 5) for k, v in (metrics or {}).items()
                 if isinstance(v, (int, float)) and not k.endswith(("_runtime", "_per_second"))}
        self.events.emit("eval", step=state.global_step, epoch=round(state.epoch or 0, 3), metrics=clean)

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.events.emit("checkpoint", step=state.global_step)


class StopOnSignal(TrainerCallback):
    """On SIGTERM/SIGINT, finish the current step, save a checkpoint and stop training.

    With several processes (DDP, FSDP) the signal reaches the ranks at slightly different moments; a rank that
    stopped one step before the others would leave them waiting in the next gradient all-reduce forever. So
    after every step the ranks agree (a one-number all-reduce of "asked to stop", max over ranks) and all stop
    at the same step.
    """

    def __init__(self) -> None:
        self.requested = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._request)

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._agreed(args):
            control.should_save = True
            control.should_training_stop = True

    def _agreed(self, args: Any) -> bool:
        """Whether any rank was asked to stop (this rank's flag alone in a one-process run)."""
        if getattr(args, "world_size", 1) <= 1:
            return self.requested
        import torch
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            return self.requested
        device = args.device if dist.get_backend() == "nccl" else torch.device("cpu")
        flag = torch.tensor([1.0 if self.requested else 0.0], device=device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        self.requested = bool(flag.item() > 0)
        return self.requested
