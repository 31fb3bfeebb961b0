"""The Gradio page: Chat, Catalog, Data, Jobs (live loss curve) and Compare tabs."""

from __future__ import annotations

from typing import Any

from assistant.agent import Assistant
from assistant.session import Services
from assistant.settings import Settings

CSS = """
.tw-banner {border-radius: 8px; padding: 6px 12px; background: var(--block-background-fill);}
.tw-banner p {margin: 2px 0 !important; font-size: 0.9em;}
footer {display: none !important;}
"""


def banner(settings: Settings) -> str:
    """The line at the top saying who answers and on what hardware."""
    from assistant.llm import describe_backend
    from catalog.hardware import detect_hardware

    hw = detect_hardware()
    parts = [f"**Assistant:** {describe_backend(settings)}", f"**Hardware:** {hw.describe()}"]
    if settings.offline:
        parts.append("**Offline:** model hubs are unreachable, so only packaged or cached models can be trained.")
    from assistant.space.runtime import space_banner_lines

    parts += space_banner_lines()  # on a Hugging Face Space: storage, hardware, sign-in; nothing locally
    return "  \n".join(parts)


def build_ui(assistant: Assistant | None = None, settings: Settings | None = None) -> Any:
    """Build the ``gr.Blocks`` app (not launched)."""
    import gradio as gr

    from assistant.space.runtime import use_gpu
    from assistant.ui.catalog_tab import METHODS, catalog_table, estimate_markdown, languages, model_ids
    from assistant.ui.chat_tab import ChatHandlers
    from assistant.ui.compare_tab import CompareHandlers
    from assistant.ui.data_tab import UPLOAD_TYPES, DataHandlers
    from assistant.ui.jobs_tab import JobsHandlers
    from assistant.ui.sign_in import add_hub_push, add_sign_in, connect_sign_in
    from assistant.ui.suggestions import MAX_SUGGESTIONS, START
    from catalog.schema import TASKS

    settings = settings or Settings.from_env()
    assistant = assistant or Assistant(Services(single_user=settings.single_user), settings)
    chat, data, jobs = ChatHandlers(assistant), DataHandlers(assistant), JobsHandlers(assistant)
    cmp = CompareHandlers(assistant)
    use_gpu(cmp)  # ZeroGPU only: model-running callbacks under spaces.GPU
    services = assistant.services

    with gr.Blocks(title="tunewise — should you fine-tune?") as demo:
        session_id = gr.BrowserState(None, storage_key="tunewise_session")
        gr.Markdown("# tunewise\nShould you fine-tune a model for your task — and if so, which one, how, and did it help?")
        gr.Markdown(banner(settings), elem_classes="tw-banner", elem_id="tw-banner")
        signed_in = add_sign_in()  # a Space with hf_oauth only
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(label="tunewise", height=520, elem_id="tw-chat", buttons=["copy"])
                with gr.Row():
                    box = gr.Textbox(placeholder="Describe your task, e.g. 'route support tickets to 10 teams; "
                                     "we have 800 labelled tickets'", show_label=False, scale=8,
                                     elem_id="tw-input", autofocus=True)
                    send = gr.Button("Send", variant="primary", scale=1, elem_id="tw-send")
                with gr.Row(elem_id="tw-suggestions"):
                    quick = [gr.Button(s, size="sm", elem_classes="tw-quick", visible=i < len(START))
                             for i, s in enumerate(START + [""] * (MAX_SUGGESTIONS - len(START)))]
            with gr.Tab("Catalog", id="catalog"):
                with gr.Row():
                    task = gr.Dropdown(["any", *TASKS], value="any", label="Task")
                    lang = gr.Dropdown(languages(), value="any", label="Language")
                    lic = gr.Radio(["any", "permissive"], value="any", label="Licence")
                    size = gr.Slider(0, 15000, value=0, step=50, label="Max size (M params, 0 = any)")
                    fits = gr.Checkbox(False, label="Fits my hardware")
                table = gr.Dataframe(interactive=False, wrap=True, elem_id="tw-catalog",
                                     column_widths=["26%", "22%", "8%", "11%", "13%", "8%", "12%"])
                gr.Markdown("### Estimate memory and time before you train")
                with gr.Row():
                    est_model = gr.Dropdown(model_ids(), value=model_ids()[0], label="Model", scale=3)
                    est_len = gr.Number(256, label="Tokens per example", minimum=8, maximum=32768, precision=0)
                    est_batch = gr.Number(16, label="Batch size", minimum=1, maximum=4096, precision=0)
                    est_method = gr.Radio(METHODS, value="qlora", label="Method")
                    est_btn = gr.Button("Estimate", scale=1, elem_id="tw-estimate")
                est_out = gr.Markdown(elem_id="tw-estimate-out")
            with gr.Tab("Data", id="data"):
                upload = gr.File(label="Upload a dataset", file_types=UPLOAD_TYPES, type="filepath")
                with gr.Row():
                    data_task = gr.Dropdown(label="Task", choices=["auto-detect", *TASKS], value="auto-detect",
                                            scale=1, elem_id="tw-data-task")
                    data_roles = gr.Textbox(label="Column roles (optional)", placeholder="text=body, label=intent",
                                            scale=2, elem_id="tw-data-roles")
                    recheck = gr.Button("Re-check", scale=1, elem_id="tw-data-recheck")
                report = gr.Markdown("Upload data for any of the six tasks: CSV, TSV, JSON, JSON lines, Parquet or "
                                     "CoNLL. The task and the columns are detected; override them above.",
                                     elem_id="tw-data-report")
                preview = gr.Dataframe(label="Preview (first 20 rows)", interactive=False, wrap=True)
                uploaded = gr.State("")
                use = gr.Button("Ask the assistant about this file")
            with gr.Tab("Jobs", id="jobs"):
                jobs_table = gr.Dataframe(interactive=False, elem_id="tw-jobs")
                with gr.Row():
                    job_pick = gr.Dropdown(label="Job", choices=[], scale=3)
                    cancel = gr.Button("Cancel", scale=1)
                    resume = gr.Button("Resume", scale=1)
                    retry = gr.Button("Retry as a new job", scale=1)
                job_detail = gr.Markdown(elem_id="tw-job-detail")
                with gr.Row():
                    loss_plot = gr.LinePlot(x="step", y="loss", title="Training loss", height=260,
                                            elem_id="tw-loss-plot")
                    eval_plot = gr.LinePlot(x="step", y="value", color="metric", title="Held-out metrics",
                                            height=260)
                logs = gr.Textbox(label="Log (tail)", lines=8, max_lines=8, autoscroll=True)
                timer = gr.Timer(2.0)
            with gr.Tab("Compare", id="compare") as compare_tab:
                with gr.Row():
                    cmp_pick = gr.Dropdown(label="Finished job", choices=[], scale=3)
                    cmp_load = gr.Button("Show comparison", scale=1)
                cmp_summary = gr.Markdown(elem_id="tw-compare")
                with gr.Row():
                    probe = gr.Textbox(label="Try an input", scale=4, elem_id="tw-probe")
                    probe_btn = gr.Button("Run base and tuned", scale=1, elem_id="tw-probe-run")
                with gr.Row():
                    base_out = gr.Markdown(label="Base", elem_id="tw-probe-base")
                    tuned_out = gr.Markdown(label="Tuned", elem_id="tw-probe-tuned")
                cmp_examples = gr.Dataframe(label="Held-out examples (disagreements first)", interactive=False,
                                            wrap=True, column_widths=["14%", "14%", "14%", "10%", "48%"],
                                            elem_id="tw-compare-examples")
                gr.Markdown("### Blind A/B\nType an input: the two models' answers appear as **A** and **B** in "
                            "random order. Vote, then see which was the tuned model.")
                with gr.Row():
                    ab_input = gr.Textbox(label="Input for a blind comparison", scale=4, elem_id="tw-ab-input")
                    ab_show = gr.Button("Show two answers", scale=1, elem_id="tw-ab-show")
                with gr.Row():
                    ab_left = gr.Markdown(elem_id="tw-ab-left")
                    ab_right = gr.Markdown(elem_id="tw-ab-right")
                with gr.Row():
                    ab_buttons = [gr.Button(text, elem_id=f"tw-vote-{vote}", size="sm")
                                  for vote, text in (("left", "A is better"), ("right", "B is better"),
                                                     ("tie", "Tie"), ("both_bad", "Both bad"))]
                ab_result = gr.Markdown(elem_id="tw-ab-result")
                ab_trial = gr.State("")
                add_hub_push(services, cmp_pick, session_id)  # a Space with hf_oauth only

        loaded = demo.load(chat.restore, inputs=session_id, outputs=[session_id, chatbot])
        loaded.then(chat.suggestions, inputs=session_id, outputs=quick)
        connect_sign_in(services, loaded, signed_in, session_id)
        chat_io = {"inputs": [box, chatbot, session_id], "outputs": [chatbot, box, session_id]}
        send.click(chat.chat, **chat_io, api_name="chat").then(chat.suggestions, inputs=session_id, outputs=quick)
        box.submit(chat.chat, **chat_io, api_name=False).then(chat.suggestions, inputs=session_id, outputs=quick)
        for button in quick:  # a click sends the button's current label as the user's reply
            button.click(lambda label: label, inputs=button, outputs=box, api_name=False).then(
                chat.chat, **chat_io, api_name=False).then(chat.suggestions, inputs=session_id, outputs=quick)
        for control in (task, lang, lic, size, fits):
            control.change(catalog_table, inputs=[task, lang, lic, size, fits], outputs=table, api_name=False)
        demo.load(catalog_table, inputs=[task, lang, lic, size, fits], outputs=table, api_name="catalog")
        est_btn.click(estimate_markdown, inputs=[est_model, est_len, est_batch, est_method], outputs=est_out,
                      api_name="estimate")
        upload.upload(data.upload, inputs=[upload, session_id, data_task, data_roles],
                      outputs=[report, preview, uploaded])
        recheck.click(data.recheck, inputs=[uploaded, data_task, data_roles], outputs=[report, preview])
        use.click(lambda p: f"check {p}" if p else "", inputs=uploaded, outputs=box).then(chat.chat, **chat_io)
        jobs_out = [jobs_table, job_pick, job_detail, loss_plot, eval_plot, logs]
        timer.tick(jobs.jobs, inputs=[session_id, job_pick], outputs=jobs_out, show_progress="hidden")
        job_pick.change(jobs.jobs, inputs=[session_id, job_pick], outputs=jobs_out, show_progress="hidden")
        cancel.click(lambda j, s: jobs.job_action("cancel", j, s), inputs=[job_pick, session_id], outputs=job_detail)
        resume.click(lambda j, s: jobs.job_action("resume", j, s), inputs=[job_pick, session_id], outputs=job_detail)
        retry.click(lambda j, s: jobs.job_action("retry", j, s), inputs=[job_pick, session_id], outputs=job_detail)
        cmp_load.click(cmp.compare, inputs=[cmp_pick, session_id], outputs=[cmp_summary, cmp_examples])
        compare_tab.select(cmp.compare_choices, inputs=session_id, outputs=cmp_pick).then(
            cmp.compare, inputs=[cmp_pick, session_id], outputs=[cmp_summary, cmp_examples])
        demo.load(cmp.compare_choices, inputs=session_id, outputs=cmp_pick)
        probe_btn.click(cmp.try_input, inputs=[cmp_pick, probe, session_id], outputs=[base_out, tuned_out])
        ab_show.click(cmp.ab_show, inputs=[cmp_pick, ab_input, session_id],
                      outputs=[ab_left, ab_right, ab_trial, ab_result])
        for button, vote in zip(ab_buttons, ("left", "right", "tie", "both_bad"), strict=True):
            button.click(lambda t, j, s, v=vote: cmp.ab_vote(t, v, j, s), inputs=[ab_trial, cmp_pick, session_id],
                         outputs=[ab_result, ab_trial])
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo
