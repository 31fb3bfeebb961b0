"""The survey: intake reads the public datasets of each task family as they are distributed, and spreadsheet exports
as people make them.

Each fixture under ``tests/fixtures/intake`` was written from its dataset's documented layout by
``tests/fixtures/intake/make_fixtures.py``. ``SURVEY`` says what intake must make of it: the task and the column of
each role, or, where a file cannot be trained as it is, the problem that says why and what to do.

    python -m tests.unit.finetune.test_intake_survey OUT.md     # the survey as a table (dataset -> task -> columns)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from finetune.data.intake import inspect_data, load_data
from finetune.data.report import DatasetReport

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "intake"


@dataclass(frozen=True)
class Case:
    """One surveyed layout and what intake must make of it."""

    dataset: str
    path: str
    task: str | None
    roles: dict[str, str] = field(default_factory=dict)
    """Role -> column that detection must pick (a subset of the report's roles)."""
    refused: str | None = None
    """A phrase of the problem that refuses the file (None: the file must load)."""
    warned: str | None = None
    """A phrase of a warning the file must get."""


C, N, Q, S, T, H, X = ("text-classification", "token-classification", "question-answering", "summarization",
                       "translation", "chat", "exports")
SURVEY: list[Case] = [
    # -- text classification -------------------------------------------------------------------------------------
    Case("GLUE SST-2 (train.tsv)", "classification/glue_sst2_train.tsv", C, {"text": "sentence", "label": "label"}),
    Case("GLUE SST-2 (test.tsv, labels withheld)", "classification/glue_sst2_test.tsv", C, {"text": "sentence"},
         refused="no label column"),
    Case("GLUE MRPC (msr_paraphrase_train.txt)", "classification/glue_mrpc_msr_paraphrase_train.txt", C,
         {"text": "#1 String", "text_pair": "#2 String", "label": "Quality"}),
    Case("GLUE QQP (train.tsv)", "classification/glue_qqp_train.tsv", C,
         {"text": "question1", "text_pair": "question2", "label": "is_duplicate"}),
    Case("GLUE MNLI (train.tsv)", "classification/glue_mnli_train.tsv", C,
         {"text": "sentence1", "text_pair": "sentence2", "label": "gold_label"}),
    Case("GLUE QNLI (dev.tsv)", "classification/glue_qnli_dev.tsv", C,
         {"text": "sentence", "text_pair": "question", "label": "label"}),
    Case("GLUE RTE (train.tsv)", "classification/glue_rte_train.tsv", C,
         {"text": "sentence1", "text_pair": "sentence2", "label": "label"}),
    Case("GLUE CoLA (in_domain_train.tsv, no header)", "classification/glue_cola_in_domain_train.tsv", None,
         refused="no header row"),
    Case("IMDB (HF rows)", "classification/imdb_hf_train.jsonl", C, {"text": "text", "label": "label"}),
    Case("AG News (original train.csv, no header)", "classification/ag_news_train.csv", None,
         refused="no header row"),
    Case("AG News (HF rows)", "classification/ag_news_hf_train.jsonl", C, {"text": "text", "label": "label"}),
    Case("Yelp Review Full (HF rows)", "classification/yelp_review_full_hf.jsonl", C, {"text": "text", "label": "label"}),
    Case("TREC (HF rows, coarse/fine labels)", "classification/trec_hf.jsonl", C,
         {"text": "text", "label": "coarse_label"}),
    Case("banking77 (original CSV)", "classification/banking77_train.csv", C, {"text": "text", "label": "category"}),
    Case("emotion (dair-ai, HF rows)", "classification/emotion_hf.jsonl", C, {"text": "text", "label": "label"}),
    Case("tweet_eval sentiment (HF rows)", "classification/tweet_eval_sentiment.jsonl", C,
         {"text": "text", "label": "label"}),
    Case("SNLI 1.0 (original jsonl, '-' gold labels)", "classification/snli_1.0_train.jsonl", C,
         {"text": "sentence1", "text_pair": "sentence2", "label": "gold_label"}, warned="no gold label"),
    Case("SNLI (HF rows)", "classification/snli_hf.jsonl", C, {"text": "premise", "text_pair": "hypothesis"}),
    Case("BoolQ (SuperGLUE jsonl)", "classification/boolq_train.jsonl", C,
         {"text": "passage", "text_pair": "question", "label": "label"}),
    Case("Amazon polarity (HF rows)", "classification/amazon_polarity_hf.jsonl", C, {"text": "content", "label": "label"}),
    Case("SST-5 (SetFit, label + label_text)", "classification/setfit_sst5.jsonl", C,
         {"text": "text", "label": "label_text"}),
    Case("SMS Spam Collection (HF rows)", "classification/sms_spam_hf.jsonl", C, {"text": "sms", "label": "label"}),
    Case("CLINC150 / clinc_oos (HF rows)", "classification/clinc_oos_hf.jsonl", C, {"text": "text", "label": "intent"}),
    Case("MASSIVE (HF rows, partition column)", "classification/massive_hf.jsonl", C,
         {"text": "utt", "label": "intent", "split": "partition"}),
    Case("GoEmotions (simplified, label lists)", "classification/go_emotions_simplified.jsonl", C,
         {"text": "text", "label": "labels"}, refused="multi-label classification"),
    Case("Jigsaw toxic comments (one 0/1 column per label)", "classification/jigsaw_toxic_train.csv", C,
         {"text": "comment_text"}, refused="multi-label data"),
    # -- token classification ------------------------------------------------------------------------------------
    Case("CoNLL-2003 (eng.train, 4 columns, -DOCSTART-)", "ner/conll2003_eng.train", N, {"tokens": "tokens"}),
    Case("CoNLL-2003 (original IOB1 tags)", "ner/conll2003_original_iob1.txt", N, {"tokens": "tokens"},
         warned="IOB1"),
    Case("CoNLL-2003 (HF rows + labels.txt)", "ner/conll2003_hf", N, {"tokens": "tokens", "tags": "ner_tags"}),
    Case("CoNLL-2003 (HF rows, integer tags, no names)", "ner/conll2003_hf_no_names.jsonl", N,
         {"tokens": "tokens", "tags": "ner_tags"}, warned="no tag names"),
    Case("CoNLL-2003 (pandas CSV export, lists as text)", "ner/conll2003_pandas_export.csv", N,
         {"tokens": "tokens", "tags": "ner_tags"}),
    Case("CoNLL-2002 Spanish (token tag)", "ner/conll2002_esp.train", N, {"tokens": "tokens"}),
    Case("WNUT-17 (original token<TAB>tag)", "ner/wnut17_train.conll", N, {"tokens": "tokens"}),
    Case("WNUT-17 (HF rows)", "ner/wnut17_hf.jsonl", N, {"tokens": "tokens", "tags": "ner_tags"}),
    Case("OntoNotes 5 (tner rows)", "ner/tner_ontonotes5.jsonl", N, {"tokens": "tokens", "tags": "tags"}),
    Case("Few-NERD (supervised, IO tags)", "ner/fewnerd_supervised_train.txt", N, {"tokens": "tokens"},
         warned="IO scheme"),
    Case("Few-NERD (HF rows, coarse + fine tags)", "ner/fewnerd_hf.jsonl", N, {"tokens": "tokens", "tags": "ner_tags"}),
    Case("WikiANN / PAN-X (HF rows)", "ner/wikiann_en_hf.jsonl", N, {"tokens": "tokens", "tags": "ner_tags"}),
    Case("NCBI-disease (HF rows)", "ner/ncbi_disease_hf.jsonl", N, {"tokens": "tokens", "tags": "ner_tags"}),
    Case("BC5CDR (HF Parquet)", "ner/bc5cdr_hf.parquet", N, {"tokens": "tokens", "tags": "ner_tags"}),
    Case("MIT Restaurant (tag<TAB>token)", "ner/mit_restaurant_train.bio", N, {"tokens": "tokens"}),
    Case("MultiCoNER (# id comments, token _ _ tag)", "ner/multiconer_en_train.conll", N, {"tokens": "tokens"}),
    Case("BIOES-tagged JSON lines", "ner/bioes_tagged.jsonl", N, {"tokens": "tokens", "tags": "tags"},
         warned="BIOES"),
    Case("doccano export (text + [start, end, type])", "ner/doccano_export.jsonl", N, {"tokens": "text", "tags": "label"}),
    Case("Label Studio style spans ({start, end, label})", "ner/entity_spans_dicts.jsonl", N,
         {"tokens": "text", "tags": "entities"}),
    Case("GMB ner_dataset.csv (Kaggle, token per row, latin-1)", "ner/gmb_ner_dataset.csv", N, {"tokens": "tokens"}),
    Case("NER tags as one string (wrong shape)", "ner/tags_as_one_string.jsonl", N,
         {"tokens": "tokens", "tags": "ner_tags"}, refused="not a list"),
    # -- question answering --------------------------------------------------------------------------------------
    Case("SQuAD v1.1 (nested JSON)", "qa/squad_v1.1_train.json", Q, {"question": "question", "context": "context"}),
    Case("SQuAD v2.0 (nested, is_impossible)", "qa/squad_v2.0_train.json", Q, {"question": "question"}),
    Case("SQuAD (HF rows)", "qa/squad_hf.jsonl", Q, {"question": "question", "context": "context", "answers": "answers"}),
    Case("SQuAD v2 (HF Parquet, empty answers)", "qa/squad_v2_hf.parquet", Q, {"answers": "answers"}),
    Case("SQuAD (HF rows exported to CSV)", "qa/squad_hf_export.csv", Q, {"answers": "answers"}),
    Case("Flat CSV (question, context, answer, answer_start)", "qa/qa_flat.csv", Q,
         {"answers": "answer", "answer_start": "answer_start"}),
    Case("Natural Questions (simplified jsonl)", "qa/natural_questions_simplified.jsonl", Q,
         {"question": "question_text", "context": "document_text", "answers": "annotations"}),
    Case("TriviaQA rc (HF rows)", "qa/triviaqa_rc_hf.jsonl", Q,
         {"question": "question", "context": "entity_pages", "answers": "answer"}),
    Case("HotpotQA distractor", "qa/hotpotqa_distractor.jsonl", Q, {"context": "context", "answers": "answer"}),
    Case("DROP (HF rows)", "qa/drop_hf.jsonl", Q, {"context": "passage", "answers": "answers_spans"}),
    Case("Quoref (HF rows)", "qa/quoref_hf.jsonl", Q, {"answers": "answers"}),
    Case("TyDi QA GoldP (HF rows)", "qa/tydiqa_goldp_hf.jsonl", Q, {"answers": "answers"}),
    Case("XQuAD (nested JSON)", "qa/xquad_de.json", Q, {"question": "question"}),
    Case("AdversarialQA (HF rows)", "qa/adversarial_qa_hf.jsonl", Q, {"answers": "answers"}),
    Case("MS MARCO v2.1 (HF rows)", "qa/ms_marco_v2.1_hf.jsonl", Q, {"question": "query", "context": "passages"}),
    Case("NewsQA (combined CSV, token ranges)", "qa/newsqa_combined.csv", Q,
         {"context": "story_text", "answers": "answer_token_ranges"}),
    Case("SubjQA (HF rows)", "qa/subjqa_hf.jsonl", Q, {"answers": "answers"}),
    Case("QA rows with a list of answer dicts", "qa/qa_list_of_answer_dicts.jsonl", Q, {"answers": "answers"}),
    Case("MLQA (HF rows)", "qa/mlqa_hf.jsonl", Q, {"answers": "answers"}),
    Case("DuoRC (plot, question, answer list)", "qa/duorc_paraphrase_hf.jsonl", Q, {"context": "plot"}),
    Case("CoQA (story + question/answer lists)", "qa/coqa_train.jsonl", Q, {"context": "context"}),
    # -- summarization -------------------------------------------------------------------------------------------
    Case("CNN/DailyMail (HF rows)", "summarization/cnn_dailymail_hf.jsonl", S,
         {"document": "article", "summary": "highlights"}),
    Case("CNN/DailyMail 3.0.0 (Parquet)", "summarization/cnn_dailymail_3.0.0.parquet", S, {"summary": "highlights"}),
    Case("XSum (HF rows)", "summarization/xsum_hf.jsonl", S, {"document": "document", "summary": "summary"}),
    Case("SAMSum (original JSON)", "summarization/samsum_train.json", S, {"document": "dialogue", "summary": "summary"}),
    Case("DialogSum (train jsonl)", "summarization/dialogsum_train.jsonl", S, {"document": "dialogue"}),
    Case("DialogSum (test jsonl, summary1..3)", "summarization/dialogsum_test.jsonl", S, {"summary": "summary1"}),
    Case("BillSum (HF rows)", "summarization/billsum_us_train.jsonl", S, {"document": "text", "summary": "summary"}),
    Case("Multi-News (HF rows)", "summarization/multi_news_hf.jsonl", S, {"document": "document"}),
    Case("Gigaword (HF rows)", "summarization/gigaword_hf.jsonl", S, {"document": "document"}),
    Case("Reddit TIFU (long)", "summarization/reddit_tifu_long.jsonl", S, {"document": "documents", "summary": "tldr"}),
    Case("WikiHow (wikihowAll.csv)", "summarization/wikihowAll.csv", S, {"document": "text", "summary": "headline"}),
    Case("PubMed (scientific_papers)", "summarization/scientific_papers_pubmed.jsonl", S,
         {"document": "article", "summary": "abstract"}),
    Case("BigPatent (HF rows)", "summarization/big_patent_hf.jsonl", S,
         {"document": "description", "summary": "abstract"}),
    Case("AESLC (email -> subject)", "summarization/aeslc_hf.jsonl", S,
         {"document": "email_body", "summary": "subject_line"}),
    Case("Newsroom (train jsonl)", "summarization/newsroom_train.jsonl", S, {"document": "text", "summary": "summary"}),
    Case("GovReport (HF rows)", "summarization/govreport_hf.jsonl", S, {"document": "report"}),
    Case("MeetingBank (HF rows)", "summarization/meetingbank_hf.jsonl", S, {"document": "transcript"}),
    Case("BookSum (chapter level)", "summarization/booksum_chapter.jsonl", S,
         {"document": "chapter", "summary": "summary_text"}),
    Case("Webis-TLDR-17 (Reddit)", "summarization/webis_tldr_17.jsonl", S, {"document": "content", "summary": "summary"}),
    Case("MLSUM (de)", "summarization/mlsum_de.jsonl", S, {"document": "text", "summary": "summary"}),
    Case("OrangeSum (HF rows)", "summarization/orange_sum_hf.jsonl", S, {"document": "text"}),
    Case("Summaries that copy the document", "summarization/summary_copies_document.jsonl", S,
         warned="learns to copy its input"),
    # -- translation ---------------------------------------------------------------------------------------------
    Case("WMT16 de-en (HF rows {translation: {de, en}})", "translation/wmt16_de_en_hf.jsonl", T,
         {"translation": "translation"}),
    Case("WMT19 de-en (HF Parquet)", "translation/wmt19_de_en.parquet", T, {"translation": "translation"}),
    Case("IWSLT 2017 en-de (HF rows)", "translation/iwslt2017_en_de_hf.jsonl", T, {"translation": "translation"}),
    Case("OPUS-100 (HF rows)", "translation/opus100_de_en_hf.jsonl", T, {"translation": "translation"}),
    Case("opus_books (HF rows)", "translation/opus_books_hf.jsonl", T, {"translation": "translation"}),
    Case("Europarl bilingual (HF rows)", "translation/europarl_bilingual_hf.jsonl", T, {"translation": "translation"}),
    Case("KDE4 (HF rows)", "translation/kde4_hf.jsonl", T, {"translation": "translation"}),
    Case("Europarl v7 (Moses files .en + .de)", "translation/moses/europarl-v7.de-en.en", T,
         {"translation": "translation"}),
    Case("OPUS Moses folder (train.* + dev.*)", "translation/opus_moses_split", T, {"split": "split"}),
    Case("news-commentary v16 (TSV, no header)", "translation/news_commentary_v16_de_en.tsv", T,
         {"source": "de", "target": "en"}),
    Case("Tatoeba via manythings.org (deu.txt)", "translation/manythings/deu.txt", T, {"source": "en", "target": "de"}),
    Case("Tatoeba MT (HF rows)", "translation/tatoeba_mt_hf.jsonl", T,
         {"source": "sourceString", "target": "targetString"}),
    Case("FLORES-200 (HF paired rows)", "translation/flores200_eng_deu_hf.jsonl", T,
         {"source": "sentence_eng_Latn", "target": "sentence_deu_Latn"}),
    Case("Language-code columns (en, de)", "translation/language_code_columns.csv", T, {"source": "en", "target": "de"}),
    Case("Excel export with locale columns (en-US;de-DE)", "translation/locale_columns_excel.csv", T,
         {"source": "en-US", "target": "de-DE"}),
    Case("Kaggle English/German columns", "translation/kaggle_language_names.csv", T,
         {"source": "English words/sentences"}),
    Case("source/target + language columns", "translation/source_target.jsonl", T, {"source": "source"}),
    Case("src/tgt CSV", "translation/src_tgt.csv", T, {"source": "src", "target": "tgt"}),
    Case("TMX translation memory (memoQ/Trados export)", "translation/memoq_export.tmx", T,
         {"translation": "translation"}),
    Case("ParaCrawl (en-de.txt.gz: gzip, TSV, no header)", "translation/paracrawl/en-de.txt.gz", T,
         {"source": "en", "target": "de"}),
    Case("Targets that copy the source", "translation/target_copies_source.jsonl", T, warned="learns to copy"),
    # -- chat / instruction tuning -------------------------------------------------------------------------------
    Case("Alpaca (alpaca_data.json)", "chat/alpaca_data.json", H, {"instruction": "instruction", "input": "input"}),
    Case("Alpaca-cleaned (jsonl)", "chat/alpaca_cleaned.jsonl", H, {"instruction": "instruction", "output": "output"}),
    Case("Dolly 15k", "chat/databricks_dolly_15k.jsonl", H, {"input": "context", "output": "response"}),
    Case("ShareGPT / Vicuna", "chat/sharegpt_vicuna.json", H, {"messages": "conversations"}),
    Case("SlimOrca (ShareGPT with system)", "chat/slimorca.jsonl", H, {"messages": "conversations"}),
    Case("OpenAI chat fine-tuning JSONL", "chat/openai_chat_finetune.jsonl", H, {"messages": "messages"}),
    Case("OpenAI messages with content parts", "chat/openai_content_parts.jsonl", H, {"messages": "messages"}),
    Case("OpenAI legacy prompt/completion", "chat/openai_legacy_prompt_completion.jsonl", H,
         {"instruction": "prompt", "output": "completion"}),
    Case("Gemini / Vertex AI tuning JSONL (contents/parts)", "chat/gemini_vertex_tuning.jsonl", H,
         {"messages": "contents"}),
    Case("OpenAssistant oasst1 (message trees)", "chat/oasst1_trees.jsonl", H, {"messages": "prompt"}),
    Case("OpenAssistant oasst1 (HF message rows)", "chat/oasst1_hf_rows.jsonl", H, {"messages": "messages"}),
    Case("UltraChat (raw: alternating strings)", "chat/ultrachat_raw.jsonl", H, {"messages": "data"}),
    Case("UltraChat 200k (HF rows)", "chat/ultrachat_200k_hf.jsonl", H, {"messages": "messages"}),
    Case("LIMA (conversations as strings)", "chat/lima_train.jsonl", H, {"messages": "conversations"}),
    Case("Anthropic HH-RLHF (chosen transcripts)", "chat/hh_rlhf_train.jsonl", H, {"messages": "chosen"}),
    Case("openassistant-guanaco (### Human: text)", "chat/openassistant_guanaco.jsonl", H, {"messages": "text"}),
    Case("ChatML text field", "chat/chatml_text.jsonl", H, {"messages": "text"}),
    Case("OpenOrca (system_prompt, question, response)", "chat/open_orca.jsonl", H,
         {"instruction": "question", "output": "response", "system": "system_prompt"}),
    Case("FLAN (inputs, targets)", "chat/flan_muennighoff.jsonl", H, {"instruction": "inputs", "output": "targets"}),
    Case("Capybara ({input, output} turns)", "chat/capybara.jsonl", H, {"messages": "conversation"}),
    Case("GPT4All prompt generations", "chat/gpt4all_prompt_generations.jsonl", H,
         {"instruction": "prompt", "output": "response"}),
    Case("MetaMathQA (query, response)", "chat/metamathqa.json", H, {"instruction": "query", "output": "response"}),
    Case("Turns with 'text' instead of 'content'", "chat/turns_without_content.jsonl", H, {"messages": "messages"}),
    Case("A turn with no content at all (wrong shape)", "chat/turns_missing_text.jsonl", H, {"messages": "messages"},
         refused="has no content"),
    # -- spreadsheet exports and compressed files ----------------------------------------------------------------
    Case("Excel CSV, German locale (semicolons)", "exports/excel_de_semicolon.csv", C, {"text": "text"}),
    Case("Excel CSV with a sep=; first line (CRLF)", "exports/excel_sep_line.csv", C, {"text": "text"}),
    Case("Excel 'CSV UTF-8' (BOM, CRLF)", "exports/excel_utf8_bom_crlf.csv", C, {"text": "text", "label": "label"}),
    Case("Excel CSV in cp1252 (CRLF)", "exports/excel_cp1252.csv", C, {"text": "text"}, warned="cp1252"),
    Case("Excel 'Unicode Text' (UTF-16, tabs)", "exports/excel_unicode_text.txt", C, {"text": "text"}),
    Case("Pipe-separated CSV", "exports/pipe_separated.csv", C, {"text": "text"}),
    Case("Tab-separated file named .csv", "exports/tab_in_csv.csv", C, {"text": "text"}),
    Case("JSON lines, gzip (.jsonl.gz)", "exports/tickets.jsonl.gz", C, {"text": "text"}),
    Case("JSON lines, bzip2 (.jsonl.bz2)", "exports/tickets.jsonl.bz2", C, {"text": "text"}),
    Case("JSON lines, xz (.jsonl.xz)", "exports/tickets.jsonl.xz", C, {"text": "text"}),
    Case("JSON lines, zstd (.jsonl.zst)", "exports/tickets.jsonl.zst", C, {"text": "text"}),
    Case("A zip holding one CSV (+ __MACOSX)", "exports/tickets_export.zip", C, {"text": "text"}),
    Case("CoNLL columns, gzip (.txt.gz)", "exports/conll_train.txt.gz", N, {"tokens": "tokens"}),
]


def _problems(report: DatasetReport) -> str:
    return "\n".join(str(p) for p in report.problems)


@pytest.mark.parametrize("case", SURVEY, ids=[c.path for c in SURVEY])
def test_surveyed_layout(case: Case) -> None:
    report = inspect_data(FIXTURES / case.path)
    assert report.task == case.task, _problems(report)
    assert case.roles.items() <= report.roles.items(), report.roles
    if case.refused:
        assert not report.ok and case.refused in _problems(report), _problems(report)
        assert all(p.fix for p in report.problems)
    else:
        assert report.ok, _problems(report)
        assert report.rows >= 6
    if case.warned:
        assert any(case.warned in w.message for w in report.warnings), [w.message for w in report.warnings]


def test_every_fixture_is_surveyed() -> None:
    listed = {c.path for c in SURVEY}
    parts = {"labels.txt", ".de", ".py"}
    files = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*") if p.is_file()
             and p.name not in parts and p.suffix not in parts and p.parent.name not in ("conll2003_hf",
                                                                                       "opus_moses_split")}
    assert files <= listed | {"ner/conll2003_hf/train.jsonl"}, sorted(files - listed)


def test_at_least_twenty_layouts_per_task_family() -> None:
    families = {f: sum(c.path.startswith(f + "/") for c in SURVEY)
                for f in ("classification", "ner", "qa", "summarization", "translation", "chat")}
    assert min(families.values()) >= 20, families


def test_surveyed_files_load_as_canonical_records() -> None:
    samples = {"ner/gmb_ner_dataset.csv": ("tokens", ["Anna", "Berg", "visited", "Oslo", "for", "Nordbank", "."]),
               "ner/mit_restaurant_train.bio": ("tags", ["O", "O", "B-Price", "B-Location", "B-Cuisine"]),
               "ner/doccano_export.jsonl": ("tags", ["B-PER", "I-PER", "O", "B-LOC", "O", "O", "O"]),
               "ner/fewnerd_supervised_train.txt": ("tags", ["B-person-other", "I-person-other", "O",
                                                             "B-location-GPE", "O", "B-organization-company", "O"]),
               "ner/bioes_tagged.jsonl": ("tags", ["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "O"])}
    for path, (key, expected) in samples.items():
        assert load_data(FIXTURES / path).records[0][key] == expected, path
    nq = load_data(FIXTURES / "qa/natural_questions_simplified.jsonl").records[0]
    assert nq["answers"]["text"] == ["1900"] and "<P>" not in nq["context"]
    assert nq["context"][nq["answers"]["answer_start"][0]:].startswith("1900")
    trivia = load_data(FIXTURES / "qa/triviaqa_rc_hf.jsonl").records[0]
    assert trivia["answers"]["text"] == ["1900"] and trivia["context"].startswith("The harbour bridge")
    oasst = load_data(FIXTURES / "chat/oasst1_hf_rows.jsonl").records[0]["messages"]
    assert [m["role"] for m in oasst] == ["user", "assistant"] and oasst[1]["content"].startswith("Take the express")
    hh = load_data(FIXTURES / "chat/hh_rlhf_train.jsonl").records[0]["messages"]
    assert [m["role"] for m in hh] == ["user", "assistant"] and hh[0]["content"].startswith("How do I get")
    gemini = load_data(FIXTURES / "chat/gemini_vertex_tuning.jsonl").records[0]["messages"]
    assert gemini[1] == {"role": "assistant", "content": "Take the express train to Oslo central; it runs every 20 "
                                                         "minutes."}
    pairs = load_data(FIXTURES / "translation/moses/europarl-v7.de-en.en")
    assert (pairs.source_lang, pairs.target_lang) == ("en", "de") and pairs.records[0]["target"].startswith("Der Zug")
    cp1252 = load_data(FIXTURES / "exports/excel_cp1252.csv").records[0]["text"]
    assert cp1252.startswith("Café 0 – crème brûlée")
    snli = load_data(FIXTURES / "classification/snli_1.0_train.jsonl")
    assert len(snli.records) == 8 and "" not in {r["label"] for r in snli.records}


def survey_table() -> str:
    """The survey as a Markdown table: dataset or export -> detected task -> columns used (or why it is refused)."""
    lines = ["| dataset or export | file | detected task | columns used |", "|---|---|---|---|"]
    for case in SURVEY:
        report = inspect_data(FIXTURES / case.path)
        roles = ", ".join(f"{role} = `{column}`" for role, column in report.roles.items())
        if report.chat_style:
            roles += f" ({report.chat_style})"
        if report.languages:
            roles += f"; {' -> '.join(report.languages)}"
        if not report.ok:
            first = report.problems[0]
            roles = (roles + "; " if roles else "") + f"**refused**: {first.message} Fix: {first.fix}"
        shown = f"{report.format}" + (f", {report.compression}" if report.compression else "")
        lines.append(f"| {case.dataset} | `{case.path}` ({shown}) | {report.task or '—'} | "
                     f"{roles.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    out = survey_table()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(out, encoding="utf-8")
    else:
        print(out)
