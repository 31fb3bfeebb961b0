"""The offline guide: a deterministic LangChain chat model that needs no LLM, GPU or network.

``model.py`` is the chat model; ``intents.py`` reads what a message asks for, ``calls.py`` parses explicit
tool calls typed by the user, ``state.py`` replays what the conversation established and builds tool-call
replies, ``replies.py`` explains a tool's result and proposes the next step. May import
``assistant.session`` and ``catalog``; never the tools' implementations, the UI or the CLI.
"""
