"""Taking a finished job out of tunewise: model card, merged model and push to the Hub.

``card.py`` writes the job's Hugging Face model card; ``hub.py`` merges the adapter into a standalone model
and pushes adapters, merged models and datasets. May import ``finetune.train.model`` (model loading),
``finetune.config``, ``finetune.workspace`` and ``catalog``; never jobs or serving (a job id is turned into
its folder by ``finetune.jobs.refs`` before it gets here).
"""
