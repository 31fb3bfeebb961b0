"""The Gradio page: Chat, Catalog, Data, Jobs and Compare tabs, and the Space sign-in controls.

``page.py`` builds and launches the page; one module per tab's callbacks (``handlers.py`` for chat, data and
jobs, ``catalog_tab.py``, ``compare_tab.py``), ``suggestions.py`` for the quick replies, ``sign_in.py`` for
Hugging Face sign-in. Callbacks never raise to the browser. May import everything below the UI in
``assistant`` (agent, tools, session, settings, space runtime), ``catalog`` and ``finetune``.
"""
