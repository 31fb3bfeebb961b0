"""The ``tunewise`` command line: the same functions the agent's tools call, for the local user.

``main.py`` builds the parser from the command groups and dispatches; one module per group: ``advice.py``
(``advise``, ``catalog``), ``data.py`` (``data check``), ``train.py`` (``train``: flags generated from
``RunConfig``, ``KEY=VALUE`` overrides, ``--preset``), ``presets.py`` (``presets list|show``), ``jobs.py`` (jobs,
compare, serve, export and push), ``chat.py`` (the terminal chat); ``space`` comes from ``assistant.space.build``.
An entry point: nothing imports it but the console script. The CLI acts with the user's own rights on any path
they can use.
"""
