"""Twenty chat sessions at once against the real server, through ``gradio_client`` on loopback: each gets
its own reply, and each session's transcript holds only its own conversation."""

from __future__ import annotations

import concurrent.futures as cf

import pytest

pytestmark = pytest.mark.browser
SESSIONS = 20


def _one(url: str, i: int) -> tuple[int, list, list]:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False)
    try:
        history, _, _ = client.predict(f"check file_{i:02d}.csv", [], f"load-session-{i:02d}", api_name="/chat")
        session, restored = client.predict(f"load-session-{i:02d}", api_name="/restore")
    finally:
        client.close()
    assert session == f"load-session-{i:02d}"
    return i, history, restored


def _text(message: dict) -> str:
    content = message["content"]
    return " ".join(part.get("text", "") for part in content) if isinstance(content, list) else str(content)


def test_twenty_concurrent_sessions_each_get_their_own_reply(app_server: dict) -> None:
    with cf.ThreadPoolExecutor(SESSIONS) as pool:
        results = list(pool.map(lambda i: _one(app_server["url"], i), range(SESSIONS)))
    assert len(results) == SESSIONS
    for i, history, restored in results:
        mine = f"file_{i:02d}.csv"
        assert mine in _text(history[-1]) and "not found" in _text(history[-1])
        transcript = " ".join(_text(m) for m in restored)
        assert mine in transcript
        others = [f"file_{j:02d}.csv" for j in range(SESSIONS) if j != i]
        assert not any(other in transcript for other in others)
