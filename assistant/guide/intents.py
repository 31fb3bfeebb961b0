"""What a user's message asks for, read with plain patterns (the offline guide's ears).

Order matters: a message is matched against the intents in ``INTENTS`` order and the first hit wins,
so specific requests ("cancel the job") come before broad ones ("job").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DATA_FILE = re.compile(r"[\w./-]+\.(?:csv|tsv|jsonl?|parquet)\b", re.IGNORECASE)
#: "use model models/my-t5", "try the model Qwen/Qwen2.5-0.5B-Instruct", "switch to model X"
#: The name must not be an ordinary word: "should we train a model to sort them?" describes a task.
MODEL_CHOICE = re.compile(r"\b(?:use|try|with|switch to|pick|choose|train)\s+(?:the\s+|a\s+)?model\s+[`\"']?"
                          r"(?!(?:to|for|that|which|who|on|in|of|from|and|or|with|the|a|an|we|i|it|this|that|our|my|"
                          r"your|their|instead|here|now|so|but|if|when|as|at|by|like|than|then|or|is|be|can|could|"
                          r"would|should|will|do|does|myself|ourselves|ourself)\b[^\w./-])"
                          r"([\w][\w./-]*[\w])", re.IGNORECASE)
QUOTED = re.compile(r"[\"“«']([^\"”»']{3,})[\"”»']")

_PATTERNS: list[tuple[str, str]] = [
    ("cancel", r"\b(cancel|stop|abort|kill|halt)\b.{0,30}\b(job|training|run|fine-?tun\w*)\b"),
    ("compare", r"\b(compare|comparison|side[- ]by[- ]side|did it (help|work|improve)|how (much )?better|"
                r"results?|base (vs\.?|versus) tuned|try (it|the (tuned )?model)|evaluat\w*|a/?b)\b"),
    ("status", r"\b(status|progress|how('?s| is) (it|the (job|training|run)) going|done yet|finished\?|"
               r"how far|how long (is )?left|eta|still running)\b"),
    ("example_data", r"\b(example|sample|demo|bundled)\b.{0,20}\b(data(set)?|tickets?|file|csv)\b|"
                     r"\bsupport_tickets\b|\buse (the )?example\b"),
    ("catalog", r"\b(which|what|list|show|recommend\w*|suggest\w*)\b.{0,30}\bmodels?\b|\bcatalog\b"),
    ("estimate", r"\b(how much (memory|ram|vram|gpu)|memory|vram|how long will|resources?|fit on)\b"),
    ("greeting", r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|greetings)( there| all| team)?\b[\s!.,]*$"),
    ("help", r"\b(help|what can you do|how does (this|it) work|who are you|what are you)\b"),
]
INTENTS = [(name, re.compile(rx, re.IGNORECASE)) for name, rx in _PATTERNS]
#: Intents whose words ("help", "results", "for example", "memory") also occur in task descriptions:
#: they count as commands only in short messages or when the message opens with them.
SOFT_INTENTS = {"compare", "example_data", "catalog", "estimate", "help"}
LONG_MESSAGE_WORDS = 12
#: Words that tie a message to this conversation's own plan or job rather than to the user's task.
OUR_WORK = re.compile(r"\b(tuned|fine-?tuned model|the (job|plan|run)|my job|your (plan|estimate))\b", re.IGNORECASE)

TASK_WORDS = re.compile(
    r"\b(classif\w*|categori[sz]\w*|rout\w*|label\w*|tag\w*|sentiment|intent|triage|spam|moderat\w*|"
    r"extract\w*|entit\w*|ner\b|redact\w*|pii|summar\w*|digest|translat\w*|locali[sz]\w*|chat ?bot|assistant|"
    r"answer\w*|question\w*|faq|fine-?tun\w*|train\w*|model|llm|prompt\w*|rag|retriev\w*|tickets?|emails?|"
    r"documents?|reviews?|messages?|reports?|contracts?|invoices?|dataset|data)\b",
    re.IGNORECASE,
)
PLAN_CHANGE = {
    "epochs": re.compile(r"(\d+(?:\.\d+)?)\s*epochs?|epochs?\s*(?:to|=|of)?\s*(\d+(?:\.\d+)?)", re.IGNORECASE),
    "learning_rate": re.compile(r"(?:learning rate|lr)\s*(?:to|=|of)?\s*([0-9.]+(?:e-?\d+)?)", re.IGNORECASE),
    "batch_size": re.compile(r"batch(?: size)?\s*(?:to|=|of)?\s*(\d+)", re.IGNORECASE),
    "max_length": re.compile(r"(?:max(?:imum)? length|max_length|tokens?)\s*(?:to|=|of)?\s*(\d+)", re.IGNORECASE),
}


@dataclass
class Reading:
    """What the guide understood from one message."""

    intent: str
    data_path: str | None = None
    quoted: str | None = None
    plan_changes: dict[str, float] | None = None
    model: str | None = None
    also: tuple[str, ...] = ()


def read_message(text: str) -> Reading:
    """Classify a user message into one intent and pull out paths, quoted inputs and plan changes."""
    text = text.strip()
    path = DATA_FILE.search(text)
    quoted = QUOTED.search(text)
    changes = plan_changes(text)
    if not text:
        return Reading("empty")
    model = MODEL_CHOICE.search(text)
    if model:
        return Reading("use_model", None, None, changes, model.group(1))
    unquoted = QUOTED.sub(" ", text)
    long_task = len(unquoted.split()) >= LONG_MESSAGE_WORDS and bool(TASK_WORDS.search(unquoted))
    for name, pattern in INTENTS:
        match = pattern.search(text)
        if not match:
            continue
        about_our_work = bool(OUR_WORK.search(text))
        if name in SOFT_INTENTS and long_task and match.start() > 0 and not about_our_work:
            return Reading("describe_task")
        return Reading(name, path.group(0) if path else None, quoted.group(1) if quoted else None, changes,
                       also=other_requests(text, name))
    if path:
        return Reading("dataset", path.group(0), None, changes)
    if changes:
        return Reading("change_plan", None, None, changes)
    words = len(text.split())
    if words >= 4 and (TASK_WORDS.search(text) or PERSONAL_ASK.search(text)):
        return Reading("describe_task")
    if words >= 12:
        return Reading("describe_task")
    if OFF_TOPIC.search(text) and not TASK_WORDS.search(text):
        return Reading("off_topic")
    return Reading("unclear")


#: A question about something else entirely ("what's the weather?", "who won the match?").
OFF_TOPIC = re.compile(r"\?\s*$|^\s*(?:what|who|when|where|why|how|tell me|can you|could you)\b",
                       re.IGNORECASE)
#: A one-off ask for text ("write a short poem for my parents' anniversary", "give me a phrase for my trip"):
#: that is a task the advisor answers (usually "just prompt a model"), not small talk.
PERSONAL_ASK = re.compile(
    r"^\s*(?:please\s+)?(?:(?:can|could|would) you\s+(?:please\s+)?|i (?:need|want) (?:you )?to\s+|help me\s+)?"
    r"(?:write|draft|compose|come up with|give me|make me|suggest|generate|create|rewrite|phrase|say)\b"
    r"(?!.*\b(?:weather|score|news|time is it)\b)",
    re.IGNORECASE)
#: Words that join two requests in one message.
JOINER = re.compile(r"\b(?:and(?: then)?|then|also|plus)\b|[;,]", re.IGNORECASE)
#: How the guide names an intent when it points out a second request.
INTENT_WORDS = {"cancel": "cancelling the job", "compare": "the comparison", "status": "the job's progress",
                "example_data": "the example data", "catalog": "which models fit",
                "estimate": "memory and time", "help": "what I can do"}


def other_requests(text: str, first: str) -> tuple[str, ...]:
    """The other requests in a multi-part message ("use the example data and tell me how much memory")."""
    if not JOINER.search(text):
        return ()
    found = []
    for name, pattern in INTENTS:
        if name != first and name in INTENT_WORDS and pattern.search(text) and name not in found:
            found.append(name)
    return tuple(found)


def plan_changes(text: str) -> dict[str, float]:
    """Numbers the user wants changed in a proposed plan ("make it 5 epochs, batch 32")."""
    found: dict[str, float] = {}
    for key, pattern in PLAN_CHANGE.items():
        match = pattern.search(text)
        if match:
            value = next(g for g in match.groups() if g)
            try:
                found[key] = float(value)
            except ValueError:
                continue
    return found
