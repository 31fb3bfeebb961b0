"""Per-task behaviour: features, collators, metrics and predictions for each of the six tasks.

``features.py``, ``qa_features.py`` and ``chat_format.py`` turn canonical records into model inputs,
``recipes.py`` gathers each model kind's training recipe, ``metrics.py`` scores predictions. May import
``finetune.config``, ``finetune.data`` and ``catalog``; never training loops, jobs or serving.
"""
