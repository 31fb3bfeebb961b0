"""The real page in headless Chromium: chat, plan, confirm, train, compare — offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def send(page: object, text: str) -> None:
    """Type a message in the chat box and send it."""
    box = page.locator("#tw-input textarea")  # type: ignore[attr-defined]
    box.fill(text)
    page.locator("#tw-send").click()  # type: ignore[attr-defined]


def wait_for_text(page: object, text: str, timeout: float = 60_000) -> None:
    """Wait until the chat shows ``text``."""
    page.locator("#tw-chat").get_by_text(text, exact=False).first.wait_for(timeout=timeout)  # type: ignore[attr-defined]


def shoot(page: object, name: str) -> None:
    """Save a screenshot when ``TUNEWISE_SCREENSHOTS`` names a folder (how docs/screenshots/ is made)."""
    folder = os.environ.get("TUNEWISE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def click_suggestion(page: object, label: str) -> None:
    """Click the quick-reply button with this label (it appears when it fits the conversation)."""
    button = page.locator("#tw-suggestions button", has_text=label).first  # type: ignore[attr-defined]
    button.wait_for(timeout=60_000)
    button.click()


def test_chat_reply_recommends_fine_tuning(page: object, app_server: dict) -> None:
    page.locator("#tw-banner").get_by_text("Offline guide").wait_for()  # type: ignore[attr-defined]
    send(page, "We get 3,000 support tickets a week and want to route them to billing, refund, delivery and "
               "account teams. We have 700 labelled tickets.")
    wait_for_text(page, "Recommendation")
    chat = page.locator("#tw-chat").inner_text()  # type: ignore[attr-defined]
    assert "fine-tune" in chat
    assert "all-MiniLM-L6-v2" in chat
    assert "assess_task" in chat  # the tool call is shown as a step
    assert "Traceback" not in chat
    page.get_by_role("tab", name="Catalog").click()  # type: ignore[attr-defined]
    page.locator("#tw-catalog").get_by_text("all-MiniLM-L6-v2").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    page.locator("#tw-estimate").click()  # type: ignore[attr-defined]
    page.locator("#tw-estimate-out").get_by_text("GB peak").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert "fits" in page.locator("#tw-estimate-out").inner_text()  # type: ignore[attr-defined]
    shoot(page, "catalog")


def test_full_offline_journey(page: object, app_server: dict) -> None:
    send(page, "Route our customer support tickets into intents; we have about 800 labelled examples.")
    wait_for_text(page, "Recommendation")
    click_suggestion(page, "Use the example data")
    wait_for_text(page, "Shall I start?")
    assert "Started fine-tuning job" not in page.locator("#tw-chat").inner_text()  # type: ignore[attr-defined]
    shoot(page, "chat")
    click_suggestion(page, "Yes, start the fine-tuning")  # the confirmation is an explicit click
    wait_for_text(page, "Started fine-tuning job")
    page.get_by_role("tab", name="Jobs").click()  # type: ignore[attr-defined]
    page.locator("#tw-job-detail").get_by_text("succeeded").wait_for(timeout=900_000)  # type: ignore[attr-defined]
    detail = page.locator("#tw-job-detail").inner_text()  # type: ignore[attr-defined]
    assert "held-out accuracy: tuned" in detail

    # A reload keeps the conversation, the job and its loss curve (state lives on the server, the
    # session id in the browser's local storage).
    page.reload()  # type: ignore[attr-defined]
    wait_for_text(page, "Started fine-tuning job")
    page.get_by_role("tab", name="Jobs").click()  # type: ignore[attr-defined]
    page.locator("#tw-job-detail").get_by_text("succeeded").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    page.locator("#tw-loss-plot canvas, #tw-loss-plot svg").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert "Training loss" in page.locator("#tw-loss-plot").inner_text()  # type: ignore[attr-defined]
    shoot(page, "jobs")

    page.get_by_role("tab", name="Compare").click()  # type: ignore[attr-defined]
    page.locator("#tw-compare").get_by_text("accuracy").first.wait_for(timeout=60_000)  # type: ignore[attr-defined]
    summary = page.locator("#tw-compare").inner_text()  # type: ignore[attr-defined]
    assert "base" in summary and "tuned" in summary
    # Blind A/B: two answers, a vote, then the reveal and the tally (stored in SQLite).
    page.locator("#tw-ab-input textarea").fill("I was charged twice for my subscription this month")  # type: ignore[attr-defined]
    page.locator("#tw-ab-show").click()  # type: ignore[attr-defined]
    page.locator("#tw-ab-result").get_by_text("Vote to reveal").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert page.locator("#tw-ab-left").inner_text().startswith("A:")  # type: ignore[attr-defined]
    page.locator("button#tw-vote-tie").click()  # type: ignore[attr-defined]
    page.locator("#tw-ab-result").get_by_text("was the tuned model").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert "1 votes" in page.locator("#tw-ab-result").inner_text()  # type: ignore[attr-defined]
    shoot(page, "compare")
    from finetune.serve.ab import VoteStore

    job_id = next(p.name for p in (app_server["home"] / "jobs").iterdir())
    assert VoteStore(app_server["home"] / "tunewise.db").tally(job_id).ties == 1
    page.get_by_role("tab", name="Chat").click()  # type: ignore[attr-defined]
    send(page, "compare")
    wait_for_text(page, "held-out rows")
    assert "Traceback" not in page.locator("#tw-chat").inner_text()  # type: ignore[attr-defined]


def test_bad_upload_gets_a_clear_report(page: object, app_server: dict, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "tickets.csv"
    bad.write_text("message,intent\nmy card was charged twice,billing\n,refund\nwhere is my parcel,\n",
                   encoding="utf-8")
    page.get_by_role("tab", name="Data").click()  # type: ignore[attr-defined]
    page.locator("input[type=file]").first.set_input_files(str(bad))  # type: ignore[attr-defined]
    page.get_by_text("Fix these problems").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    body = page.locator("body").inner_text()  # type: ignore[attr-defined]
    assert "Row 2, field 'message': The text is empty." in body
    assert "Row 3, field 'intent': The label is empty." in body
    assert "Traceback" not in body
    assert (app_server["home"] / "uploads" / "local" / "tickets.csv").is_file()
    shoot(page, "data")


def test_conll_upload_is_detected_and_roles_can_be_overridden(page: object, app_server: dict,  # type: ignore[no-untyped-def]
                                                              tmp_path) -> None:
    conll = tmp_path / "parts.conll"
    sentences = [("Replace the Bosch chain", "O O B-BRAND B-PART"), ("Anna fixed it in Berlin", "B-PER O O O B-LOC")]
    conll.write_text("\n\n".join("\n".join(f"{w} {t}" for w, t in zip(s.split(), tags.split(), strict=True))
                                 for s, tags in sentences * 3) + "\n", encoding="utf-8")
    page.get_by_role("tab", name="Data").click()  # type: ignore[attr-defined]
    page.locator("input[type=file]").first.set_input_files(str(conll))  # type: ignore[attr-defined]
    page.get_by_text("Ready for training.").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    report = page.locator("#tw-data-report").inner_text()  # type: ignore[attr-defined]
    assert "token-classification" in report and "6 rows" in report and "PART" in report
    page.locator("#tw-data-roles textarea, #tw-data-roles input").first.fill("text=words")  # type: ignore[attr-defined]
    page.locator("#tw-data-recheck").click()  # type: ignore[attr-defined]
    page.get_by_text("The text column 'words' is not in the file.").wait_for(timeout=60_000)  # type: ignore[attr-defined]
    assert "Traceback" not in page.locator("body").inner_text()  # type: ignore[attr-defined]


def test_a_message_sent_before_the_page_finished_loading_keeps_its_conversation(page: object,
                                                                                app_server: dict) -> None:
    """The first message can beat the load event that gives the browser its session id: the chat then
    makes the session and hands its id to the page, so the next turn still knows the task (NER here, so
    "Use the example data" must pick the NER example, not the tickets)."""
    send(page, "We want to pull part names, prices and bike models out of our service notes; we have 400 "
               "annotated notes.")
    wait_for_text(page, "token classification")
    click_suggestion(page, "Use the example data")
    wait_for_text(page, "Shall I start?")
    chat = page.locator("#tw-chat").inner_text()  # type: ignore[attr-defined]
    assert "examples/ner_custom_entities.jsonl" in chat and "support_tickets" not in chat
