"""The Gradio page: Chat, Catalog, Data, Jobs and Compare tabs, and the Space sign-in controls.

``page.py`` builds the page and wires each control to its callback; one module per tab holds that tab's
callbacks (``chat_tab.py``, ``catalog_tab.py``, ``data_tab.py``, ``jobs_tab.py``, ``compare_tab.py``),
``suggestions.py`` the quick replies, ``sign_in.py`` the Hugging Face sign-in. Callbacks never raise to the
browser. May import everything below the UI in ``assistant`` (agent, tools, session, settings, space runtime),
``catalog`` and ``finetune``.
"""
