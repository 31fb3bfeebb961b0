"""The ``tunewise`` command line: the same functions the agent's tools call, for the local user.

``main.py`` parses arguments and dispatches; one module per command group (``jobs.py`` for jobs, compare,
serve, export and push; ``chat.py`` for the terminal chat). An entry point: nothing imports it but the
console script. The CLI acts with the user's own rights on any path they can use.
"""
