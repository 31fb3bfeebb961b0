"""Fine-tuning: run config, data loading, quantized model + LoRA, training, jobs, evaluation, serving.

This package never imports ``assistant``, ``gradio`` or ``langchain``; heavy libraries (torch,
transformers) are imported lazily inside the functions that need them.
"""
