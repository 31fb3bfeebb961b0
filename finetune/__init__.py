"""Fine-tuning: run config, data loading, quantized model + LoRA, training, jobs, evaluation, serving.

This package never imports ``assistant``, ``gradio`` or ``langchain``; heavy libraries (torch,
transformers) are imported lazily inside the functions that need them.
"""

import logging as _logging


class _DropKernelHubNotice(_logging.Filter):
    """bitsandbytes warns on CPU that it cannot fetch an optional kernel from the Hub.

    The fallback it then uses is correct; the notice only confuses users, so keep it out of logs.
    """

    def filter(self, record: _logging.LogRecord) -> bool:
        return "gemm_4bit_forward" not in record.getMessage()


_logging.getLogger("bitsandbytes.backends.cpu.ops").addFilter(_DropKernelHubNotice())
