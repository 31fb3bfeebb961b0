"""Summarization on the packaged SmolLM2, the whole way through the real page, offline: description ->
*Use the example data* -> plan -> *Yes* -> the job trains -> Compare shows real base and tuned text."""

from __future__ import annotations

import pytest

from tests.browser.test_chat_page import click_suggestion, send, shoot, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INCIDENT = ("At 09:12 the payments API began returning 502 errors for about 30% of card checkouts. The on-call "
            "engineer traced it to a connection pool exhausted after the 09:00 deploy doubled worker count. The "
            "deploy was rolled back at 09:41 and error rates returned to normal by 09:47. About 1,900 checkouts "
            "failed; customers were not charged. Follow-up: cap pool size per worker and add an alert on 5xx rate.")


def test_summarization_journey_on_real_weights(page: object, app_server: dict) -> None:
    send(page, "Our on-call engineers write long incident reports. We want a short summary of each one for the "
               "weekly digest, and we have about 2,000 past reports with the summaries people wrote.")
    wait_for_text(page, "Recommendation")
    chat = page.locator("#tw-chat").inner_text()  # type: ignore[attr-defined]
    assert "summarization" in chat and "SmolLM2" in chat
    click_suggestion(page, "Use the example data")
    wait_for_text(page, "Shall I start?", timeout=300_000)
    plan = page.locator("#tw-chat").inner_text()  # type: ignore[attr-defined]
    assert "SmolLM2-135M-Instruct" in plan and "summarization_incidents" in plan
    assert "Started fine-tuning job" not in plan  # nothing starts before the click
    shoot(page, "summarization-plan")
    click_suggestion(page, "Yes, start the fine-tuning")
    wait_for_text(page, "Started fine-tuning job")
    page.get_by_role("tab", name="Jobs").click()  # type: ignore[attr-defined]
    page.locator("#tw-job-detail").get_by_text("succeeded").wait_for(timeout=2_400_000)  # type: ignore[attr-defined]
    detail = page.locator("#tw-job-detail").inner_text()  # type: ignore[attr-defined]
    assert "rouge" in detail.lower()

    page.get_by_role("tab", name="Compare").click()  # type: ignore[attr-defined]
    page.locator("#tw-compare").get_by_text("rougeL").first.wait_for(timeout=120_000)  # type: ignore[attr-defined]
    summary = page.locator("#tw-compare").inner_text()  # type: ignore[attr-defined]
    assert "95% interval" in summary and "small model" in summary
    examples = page.locator("#tw-compare-examples").inner_text()  # type: ignore[attr-defined]
    assert len(examples.split()) > 40  # held-out rows with real base and tuned text

    page.locator("#tw-probe textarea").fill(INCIDENT)  # type: ignore[attr-defined]
    page.locator("#tw-probe-run").click()  # type: ignore[attr-defined]
    tuned = page.locator("#tw-probe-tuned")  # type: ignore[attr-defined]
    tuned.get_by_text("Tuned:").wait_for(timeout=300_000)
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => { const t = document.querySelector('#tw-probe-tuned').innerText;"
        " return t.includes('Tuned:') && !t.includes('▌') && !t.includes('…') && t.length > 30; }",
        timeout=300_000)
    base_text = page.locator("#tw-probe-base").inner_text().replace("Base:", "").strip()  # type: ignore[attr-defined]
    tuned_text = tuned.inner_text().replace("Tuned:", "").strip()
    assert len(base_text.split()) >= 3 and len(tuned_text.split()) >= 3
    assert "Traceback" not in page.content()  # type: ignore[attr-defined]
    shoot(page, "summarization-compare")
