"""The page's Space-only controls: "Sign in with Hugging Face" and "Push to my account".

Both appear only where :func:`assistant.space.runtime.oauth_enabled` holds (a Space with ``hf_oauth: true``);
locally nothing is added. Gradio fills the ``gr.OAuthProfile`` / ``gr.OAuthToken`` parameters of the
handlers from the signed-in user's session, which is why they are annotated with those types here.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from assistant.space.runtime import apply_sign_in, push_for_user, runtime


def add_sign_in() -> Any:
    """Add the login button and a status line (inside a ``gr.Blocks``); returns the status, or None locally."""
    if not runtime().oauth:
        return None
    with gr.Row():
        gr.LoginButton(scale=1)
        return gr.Markdown(elem_id="tw-signed-in")


def connect_sign_in(services: Any, loaded: Any, status: Any, session_id: Any) -> None:
    """After the page's session is restored (``loaded``), make the signed-in user its owner; None: nothing."""
    if status is None:
        return

    def sign_in(session: str | None, profile: gr.OAuthProfile | None) -> str:
        return apply_sign_in(services, session, profile.username if profile is not None else None)

    loaded.then(sign_in, inputs=session_id, outputs=status, show_progress="hidden")


def add_hub_push(services: Any, job_pick: Any, session_id: Any) -> None:
    """A row to push the picked job to the signed-in user's namespace (inside a ``gr.Blocks``)."""
    if not runtime().oauth:
        return
    with gr.Row():
        name = gr.Textbox(label="Repo name in your account", placeholder="my-adapter", scale=3)
        private = gr.Checkbox(True, label="Private", scale=1)
        merged = gr.Checkbox(False, label="Merged model", scale=1)
        push = gr.Button("Push to my Hugging Face account", scale=2)
    result = gr.Markdown(elem_id="tw-push-result")

    def push_job(job_id: str | None, repo_name: str, is_private: bool, is_merged: bool, session: str | None,
                 profile: gr.OAuthProfile | None, token: gr.OAuthToken | None) -> str:
        return push_for_user(services, session, job_id, repo_name, profile.username if profile else None,
                             token.token if token else None, private=is_private, merged=is_merged)

    push.click(push_job, inputs=[job_pick, name, private, merged, session_id], outputs=result)
