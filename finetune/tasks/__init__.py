"""Per-task behaviour: one recipe class per model kind, and the features and metrics they are built from.

``base.py`` is the contract (:class:`~finetune.tasks.base.Recipe`: features, collator, periodic metrics,
held-out predictions and references, the base model's outputs, serving inputs and outputs);
``classification.py``, ``ner.py``, ``qa.py``, ``seq2seq.py`` and ``causal.py`` implement it, one per kind;
``generative.py`` holds what summarization, translation and chat differ in (prompts, prefixes, inputs) and
what the two generative kinds share; ``registry.py`` maps kind -> class. ``features.py``, ``qa_features.py``
and ``chat_format.py`` turn canonical records into model inputs; ``metrics.py`` scores predictions and holds
the zero-shot baseline and learning-curve probe; ``intervals.py`` bounds metric deltas. May import
``finetune.config``, ``finetune.data`` and ``catalog``; never ``finetune.train``, jobs or serving (a served
model reaches a recipe through the ``ServedModel`` protocol).
"""
