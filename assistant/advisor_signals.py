"""Signals the advisor reads from a free-text task description.

Everything here is plain regular expressions over the lower-cased description: no model is loaded, so
:func:`read_signals` is fast and deterministic. Patterns carry weights; a match preceded closely by a
negation ("we do *not* need citations") is dropped. The advisor (``assistant/advisor.py``) turns the
signals into a decision with reasons; this module only detects and quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from catalog.schema import TASKS

_LANGUAGE_CODES = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "polish": "pl", "swedish": "sv", "danish": "da", "norwegian": "no", "finnish": "fi",
    "czech": "cs", "greek": "el", "turkish": "tr", "russian": "ru", "ukrainian": "uk", "arabic": "ar",
    "hebrew": "he", "hindi": "hi", "bengali": "bn", "urdu": "ur", "chinese": "zh", "mandarin": "zh",
    "japanese": "ja", "korean": "ko", "vietnamese": "vi", "thai": "th", "indonesian": "id", "malay": "ms",
    "swahili": "sw", "yoruba": "yo", "amharic": "am", "zulu": "zu", "hungarian": "hu", "romanian": "ro",
    "bulgarian": "bg", "catalan": "ca", "basque": "eu", "welsh": "cy", "irish": "ga", "icelandic": "is",
    "estonian": "et", "latvian": "lv", "lithuanian": "lt", "persian": "fa", "farsi": "fa", "tagalog": "tl",
    "hausa": "ha", "igbo": "ig", "somali": "so", "nepali": "ne", "sinhala": "si", "khmer": "km",
}
# Languages with little web text: general models translate and understand them noticeably worse.
LOW_RESOURCE = frozenset(
    {"sw", "yo", "am", "zu", "eu", "cy", "ga", "is", "et", "lv", "lt", "tl", "ha", "ig", "so", "ne", "si", "km"}
)
_LANG = "(?:" + "|".join(sorted(_LANGUAGE_CODES, key=len, reverse=True)) + ")"

_NEGATION = re.compile(
    r"\b(?:not|no|never|don'?t|doesn'?t|isn'?t|aren'?t|won'?t|without|nor|hardly|rarely|seldom|neither|"
    r"no need|unlikely)\b[^.;!?]{0,25}$"
)

# ---------------------------------------------------------------------------------------------------
# Task patterns: (regex, weight). Each pattern counts once, however often it matches.
TASK_PATTERNS: dict[str, list[tuple[str, float]]] = {
    "text-classification": [
        (r"\bclassif(?:y|ies|ied|ying|ication|ier)\b", 2.5),
        (r"\bcategori[sz](?:e|es|ed|ing|ation)\b", 2.5),
        (r"\bcategor(?:y|ies)\b", 1.0),
        (r"\b(?:route|routes|routing|routed)\b", 2.5),
        (r"\btriag(?:e|ing)\b", 2.5),
        (r"\b(?:sentiment|positive or negative|negative or positive|positive, negative)\b", 3.0),
        (r"\bintents?\b", 2.0),
        (r"\bspam\b", 2.5),
        (r"\b(?:moderat(?:e|ion|ing)|toxic(?:ity)?|abusive|hate speech|offensive|harassment)\b", 2.5),
        (r"\b(?:flag|flags|flagging|flagged)\b", 1.0),
        (r"\b(?:prioriti[sz]e|priority|urgency)\b", 1.0),
        (r"\btag(?:s|ging)?\s+(?:each|every|incoming|the|our)?\s*(?:ticket|email|message|review|post|document|"
         r"article|request|call|complaint|comment|claim)s?\b", 2.0),
        (r"\bsort\w*\s+(?:\w+\s+){0,3}into\b", 2.0),
        (r"\b(?:assign|send|forward|direct)\w*\s+(?:\w+\s+){0,5}to\s+the\s+right\b", 2.0),
        (r"\bwhich (?:team|queue|department|category|topic|bucket)\b", 1.5),
        (r"\bwhich of (?:our|the|these|those) (?:\d+ )?(?:[\w-]+ )?(?:categories|classes|labels|teams|types|buckets|"
         r"queues|departments|topics)\b|\bbelongs? to\b", 2.0),
        (r"\b(?:star ratings?|predict (?:the|a) (?:rating|score|label|category))\b", 1.5),
        (r"\btopics?\b", 0.7),
        (r"\b(?:fraudulent|phishing|churn)\b", 1.5),
        (r"\b(?:detect|identify)\w*\s+(?:the\s+)?language\b", 1.5),
        (r"\bwhether\b[^.]{0,60}\bor not\b", 1.5),
        (r"\b(?:relevant|irrelevant|urgent|complaint)\b", 0.5),
    ],
    "token-classification": [
        (r"\b(?:named[- ]entit(?:y|ies)|ner)\b", 3.5),
        (r"\bentit(?:y|ies)\b", 2.0),
        (r"\bextract\w*\b", 1.5),
        (r"\bpull\w*\s+out\b", 1.5),
        (r"\b(?:pii|personally identifiable|personal (?:data|information|details))\b", 1.5),
        (r"\b(?:redact\w*|anonymi[sz]\w*|pseudonymi[sz]\w*|de-?identif\w*|mask\w*\s+(?:out\s+)?(?:the\s+)?"
         r"(?:names|pii|personal))\b", 3.0),
        (r"\b(?:names?|dates?|amounts?|addresses|locations?|organi[sz]ations?|companies|people|persons?|"
         r"medications?|drugs?|dosages?|skills|product codes|part numbers|invoice numbers?|phone numbers|"
         r"account numbers|ibans?)\b", 0.6),
        (r"\b(?:fields?|key[- ]value)\b", 0.8),
        (r"\b(?:tag|label|mark)\w*\s+(?:each|every)\s+(?:word|token)\b", 3.0),
        (r"\b(?:part[- ]of[- ]speech|pos tagging|bio tags?|iob|spans?)\b", 2.0),
        (r"\b(?:highlight|find|identify|spot|detect|recogni[sz]e)\w*\s+(?:all\s+)?(?:the\s+)?(?:mentions?|names|"
         r"entities|people|companies|drugs|locations|dates)\b", 2.0),
        (r"\bmentioned in\b|\bmentions of\b", 2.0),
        (r"\b(?:structured (?:data|fields|json|records)|into (?:structured|json|fields))\b", 1.5),
    ],
    "question-answering": [
        (r"\banswer\w*\s+(?:\w+\s+){0,3}questions?\b", 3.0),
        (r"\bquestions?\s+(?:about|on|from|regarding|against)\b", 1.5),
        (r"\b(?:q ?& ?a|qa|question[- ]answering)\b", 3.0),
        (r"\b(?:passages?|paragraphs?)\b", 1.0),
        (r"\b(?:manuals?|handbooks?|documentation|docs|polic(?:y|ies)|contracts?|knowledge base|wiki|faqs?|"
         r"help (?:center|centre)|articles?|regulations|guidelines|pdfs?)\b", 0.8),
        (r"\b(?:find|locate|look up|lookup|extract\w*|highlight)\s+(?:\w+\s+){0,2}(?:answer|answers)\b", 2.0),
        (r"\b(?:ask|asks|asking)\s+(?:\w+\s+){0,3}(?:about|questions?)\b", 1.5),
        (r"\bthat answers\b|\banswers? (?:it|them|the question|each question)\b", 2.0),
        (r"\bquestion[- /](?:passage|context|answer)|\b(?:passage|context)[- /]question\b", 2.5),
        (r"\b(?:a|the|each|every) question\b", 1.0),
    ],
    "summarization": [
        (r"\bsummar(?:y|ies|i[sz]e[sd]?|i[sz]ing|i[sz]ation|i[sz]er)\b", 3.5),
        (r"\b(?:digests?|tl;?dr|condens\w*|recaps?|synops[ie]s|boil\w* down|key points|gist|shorten\w*|"
         r"one[- ]paragraph|bullet[- ]points?|short version|briefing notes?)\b", 2.0),
        (r"\b(?:meeting notes|minutes|transcripts?|long reports?|long documents?)\b", 0.5),
    ],
    "translation": [
        (r"\btranslat\w*\b", 3.5),
        (r"\b(?:locali[sz]\w*|l10n|i18n)\b", 3.0),
        (rf"\b(?:from|between)\s+{_LANG}\s+(?:to|into|and)\s+{_LANG}\b", 2.5),
        (rf"\binto\s+{_LANG}\b", 1.0),
        (r"\b(?:multilingual|bilingual)\b", 0.7),
    ],
    "chat": [
        (r"\b(?:chat ?bots?|conversational|dialog(?:ue)?s?)\b", 3.0),
        (r"\b(?:virtual|ai|digital|chat|smart|writing|coding)\s+(?:assistant|agent|helper)s?\b", 2.5),
        (r"\b(?:assistant|copilot|co-pilot)\b", 0.8),
        (r"\b(?:answers?|responds?|replies|writes|talks|sounds?) like\b", 2.0),
        (r"\bconversations?\b", 0.8),
        (r"\b(?:write|writes|writing|draft|drafts|drafting|compose|composing|rewrit\w*|generat\w*|produce)\b",
         1.0),
        (r"\b(?:repl(?:y|ies)|respond\w*|responses?)\b", 1.0),
        (r"\b(?:in our (?:own )?(?:style|voice|tone)|house style|brand voice|tone of voice)\b", 1.5),
        (r"\b(?:instruction[- ]following|follow\w* (?:our|the|their) (?:instructions|guidelines))\b", 1.5),
        (r"\b(?:product descriptions?|marketing copy|copywriting|blog posts?|social media posts?|cover letters?|"
         r"job ads?|ad copy|captions?|headlines?|emails?)\b", 0.7),
        (r"\b(?:code generation|generate (?:sql|code)|text-to-sql|sql queries)\b", 2.5),
        (r"\b(?:talk|talks|chat|chats)\s+(?:to|with)\b", 1.5),
    ],
}

# ---------------------------------------------------------------------------------------------------
# Decision cue patterns: kind -> (regex, negatable). Weights and reason sentences live in the advisor.
CUE_PATTERNS: dict[str, tuple[str, bool]] = {
    "fixed_labels": (
        r"\b(?:fixed (?:set of |list of )?(?:labels|categories|classes|tags|codes|intents)|predefined "
        r"(?:labels|categories|classes|tags|codes)|one of (?:the|our|these|a fixed|a set of|\d+)\b[^.]{0,20}"
        r"|closed set|taxonomy|(?:our|a) (?:label|category) set)", True),
    "strict_format": (
        r"\b(?:json|xml|strict (?:output )?format|exact (?:output )?format|fixed (?:output )?format|"
        r"structured (?:output|data|fields)|schema|(?:always|must) (?:return|output|answer|produce) (?:exactly|only)"
        r"|machine[- ]readable|template)\b", True),
    "domain": (
        r"\b(?:jargon|terminology|domain[- ]specific|specialist|speciali[sz]ed (?:vocabulary|language|terms)|"
        r"technical (?:language|terms|vocabulary)|acronyms|abbreviations|internal codes|legalese|medical|"
        r"clinical|radiology|patholog\w*|legal|pharma\w*|biomedical|financial filings|insurance|scientific|"
        r"chemistry|maintenance logs|engineering|niche|industry[- ]specific|trade terms)\b", True),
    "style": (
        r"\b(?:house style|brand voice|(?:our|the company's) (?:own )?(?:voice|style|tone)|tone of voice|"
        r"in the style of|consistent (?:tone|style|voice)|(?:answers?|responds?|replies|writes|talks|sounds?) like (?:us|our [\w-]+|a human|"
        r"one of us)|on-brand|"
        r"brand guidelines|style guide|writing style)\b", True),
    "latency": (
        r"\b(?:latency|real[- ]time|realtime|milliseconds|\d+\s?ms|instant(?:ly)?|fast (?:responses|enough|"
        r"inference)|under (?:a|one|\d+) seconds?|within (?:\d+|a) (?:ms|milliseconds|seconds?)|quickly enough|"
        r"as fast as)\b", True),
    "cost": (
        r"\b(?:costs?|costly|cheap(?:er|ly)?|expensive|budget|api (?:bills?|costs|fees)|per[- ]token|token costs|"
        r"pay per call|spend(?:ing)?|afford)\b", True),
    "privacy": (
        r"\b(?:privacy|private|confidential\w*|sensitive|hipaa|gdpr|patient data|medical records|"
        r"(?:can ?not|can't|cannot|must not|mustn't|not allowed to|may not|never) (?:be )?(?:send|sent|share|"
        r"shared|leave|upload|uploaded|use an external|go to|touch)|third[- ]party (?:apis?|services|providers)|"
        r"data residency|compliance|regulated|in[- ]house only)\b", False),
    "on_prem": (
        r"\b(?:on[- ]prem\w*|self[- ]host\w*|air[- ]?gapped|offline|no internet|without internet|on[- ]device|"
        r"edge devices?|(?:run|runs|running|work|works|deploy\w*) (?:\w+ )?on (?:a |the |our |their )?(?:mobile|phones?|"
        r"devices?|laptops?|edge|tablets?|raspberry pi)|raspberry pi|our own (?:data ?cent(?:er|re)s?|"
        r"servers?|hardware|gpus?|infrastructure)|run (?:it )?locally|local machines?)\b", False),
    "high_volume": (
        r"\b(?:millions of|billions of|high[- ]volume|huge volume|large volumes?|at scale|(?:hundreds|thousands) "
        r"(?:of \w+ )?(?:per|a|every) (?:second|minute)|every (?:transaction|payment|order|message|call))\b", True),
    "low_volume": (
        r"\b(?:low volume|small volume|a (?:few|couple of|handful of) (?:times|requests|calls|documents|emails|"
        r"reports|articles|texts|items) (?:a|per|each) (?:week|month|year|day|quarter)|occasional(?:ly)?|"
        r"once (?:a|per) (?:week|month|quarter|year)|now and then|ad[- ]hoc|from time to time|infrequent\w*|"
        r"(?:just )?for (?:me|myself)|(?:for )?(?:my own|personal) use)\b",
        True),
    "prototype": (
        r"\b(?:prototype|proof[- ]of[- ]concept|poc|mvp|demo|hackathon|one[- ]off|one[- ]time|just once|"
        r"quick (?:test|experiment|win|try|check)|try (?:it|this|the idea) out|test the (?:idea|waters)|"
        r"experiment\w*|pilot|by (?:friday|monday|tomorrow|next week)|this week|side project|"
        r"(?:only |just )?once(?! (?:a|an|per|every|we|the|it|they|you|our|that|this)\b))\b", True),
    "general": (
        r"\b(?:general[- ]purpose|generic|everyday|common[- ]sense|general knowledge|any topic|open[- ]ended|"
        r"broad range of|all sorts of|plain english|news articles?|nothing fancy|rough (?:idea|sense|estimate)|"
        r"good enough|ballpark)\b", True),
    "no_ml_team": (
        r"\b(?:no (?:ml|machine learning|data science|ai) (?:team|engineers?|expertise|experience|staff)|"
        r"no gpus?|don'?t have (?:a |any )?gpus?|non-technical|nobody (?:here )?(?:knows|does) (?:ml|machine))\b",
        False),
    "changing": (
        r"\b(?:(?:chang\w*|updated?|updates|revised|edited|added) (?:(?:with |on |after )?(?:every|each) (?:day|week|"
        r"month|quarter|release|update|version|sprint|season)|often|frequently|constantly|daily|weekly|monthly|"
        r"quarterly|all the time|regularly)|(?:daily|weekly|monthly|frequent|constant|"
        r"regular) (?:updates|changes|releases)|up[- ]to[- ]date|latest|current (?:prices|stock|inventory|"
        r"policies|information|info|version|rates|availability)|new (?:products|policies|documents|articles|"
        r"releases|items|versions|rules|regulations) (?:every|each|all the time)|keeps? changing|fast[- ]moving|"
        r"live (?:data|prices|inventory|stock))\b", True),
    "citations": (
        r"\b(?:cite|cites|citing|citations?|(?:show|give|include|link|quote|list|return|point to)\w* (?:\w+ ){0,2}"
        r"(?:the )?(?:sources?|references?)|with (?:sources|references)|source documents?|link (?:back )?to the (?:\w+ ){0,2}"
        r"(?:sections?|pages?|sources?|documents?|polic(?:y|ies)|articles?|clauses?|paragraphs?)|"
        r"traceab\w*|which (?:document|page|section|clause|policy)|provenance|grounded|verifiable|auditable)\b",
        True),
    "knowledge_base": (
        r"\b(?:knowledge[- ]base|kb articles?|wiki|confluence|sharepoint|intranet|help (?:center|centre)|"
        r"documentation|faqs?|policy documents|internal documents|product catalog(?:ue)?|manuals?|handbooks?|"
        r"document collection|document store|corpus|archive of|repository of|our (?:docs|documents|policies|"
        r"procedures|prices|pricing|inventory|rules|terms)|product (?:specs|specifications|"
        r"information|details))\b", True),
    "doc_scale": (
        r"\b(?:(?:thousands|hundreds|tens of thousands|millions) of (?:documents|pages|pdfs|articles|reports|files|"
        r"contracts)|(?:large|huge|big|growing) (?:collection|library|archive|corpus|number of documents))\b", True),
    "given_passage": (
        r"\b(?:given|with|from|in) (?:a|the|each|its) (?:passage|paragraph|context)\b|\bpassage\b", True),
    "facts": (
        r"\b(?:hallucinat\w*|make things up|made[- ]up answers|factual(?:ly)? (?:accurate|correct)|"
        r"must be (?:accurate|correct|factual)|exact (?:figures|numbers|prices))\b", True),
}

_NO_LABELS = re.compile(
    r"\b(?:no|zero|don'?t have (?:any )?|do not have (?:any )?|haven'?t got (?:any )?|without (?:any )?|lack|"
    r"nothing)\s*(?:\w+\s+){0,2}?(?:labell?ed|annotated|training|gold|example)s?\s*(?:data|examples|set|sets|yet)?\b"
    r"|\b(?:no|zero) (?:data|examples) (?:yet|at all|to train)"
    r"|\bunlabell?ed\b|\b(?:not|never been|aren'?t|isn'?t) (?:\w+ )?(?:labell?ed|annotated|tagged)\b"
)

# ---------------------------------------------------------------------------------------------------
# Quantities ("700 labelled tickets", "3,000 tickets a week", "a few examples").
_WORD_QUANTITIES = {
    "hundreds of thousands": 300_000, "tens of thousands": 30_000, "a few thousand": 3_000,
    "several thousand": 4_000, "a few hundred": 300, "several hundred": 400, "a couple of hundred": 200,
    "a couple hundred": 200, "thousands": 3_000, "hundreds": 300, "millions": 2_000_000, "a million": 1_000_000,
    "a thousand": 1_000, "a hundred": 100, "dozens": 36, "a dozen": 12, "a handful": 5, "a few": 3,
    "a couple": 2, "several": 5, "handful": 5, "lots": 5_000, "plenty": 5_000, "a lot": 5_000, "years' worth": 5_000,
    "ten": 10, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "eighty": 80, "two": 2,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "twelve": 12, "fifteen": 15,
}
_NUMBER = re.compile(
    r"(?<![\w$€£.])(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?P<mult>k|m|mn|thousand|million|billion))?\b(?!%)"
    r"|\b(?P<words>" + "|".join(re.escape(w) for w in sorted(_WORD_QUANTITIES, key=len, reverse=True)) + r")\b"
)
_MULT = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "billion": 1e9}
_NOUN = (
    r"(?:examples?|samples?|records?|rows?|tickets?|e-?mails?|messages?|reviews?|documents?|docs|articles?|"
    r"reports?|notes|transcripts?|calls?|conversations?|chats?|dialogues?|sentences?|pairs?|quer(?:y|ies)|"
    r"questions?|requests?|posts?|comments?|tweets?|texts?|items?|cases?|claims?|invoices?|contracts?|forms?|"
    r"letters?|descriptions?|summaries|translations?|replies|responses?|complaints?|pages?|pdfs?|files?|entries|"
    r"logs?|listings?|abstracts?|papers?|segments?|utterances?|annotations?|data ?points?|instances?|headlines?|"
    r"orders?|applications?|resumes?|cvs?|interactions?|submissions?|receipts?|triples|triplets|stories|ones|"
    r"times|(?!(?:seconds|minutes|hours|days|weeks|months|years|languages|percent|dollars|euros|pounds|"
    r"employees|people|persons|staff|members|engineers|colleagues|users|customers|visitors|patients|clients|"
    r"tables|columns|steps|levels|categories|classes|labels|intents|teams|departments|queues|buckets|topics|"
    r"types|tags|kinds|codes|changes|needs|uses|this|is|was|has|does|always|perhaps|thus)\b)[a-z]{2,}[^s\W]s)\b"
)
_NOUN_GAP = r"(?!(?:a|an|per|each|every|and|or|with|in|of|from|to|that|which|we|for|by|on)\b)[\w'&/-]+"
_DATA_NOUN = re.compile(rf"^(?:\s+of)?(?:[\s-]+{_NOUN_GAP}){{0,3}}?[\s-]+(?:of\s+)?(?P<noun>{_NOUN})")
_NOUN_EXTEND = re.compile(rf"^(?:[\s/-]+{_NOUN_GAP}){{0,2}}?[\s/-]+(?P<noun>{_NOUN})")
_DOC_NOUN = re.compile(r"^(?:documents?|docs|pages?|pdfs?|files?|articles?|contracts?|reports?|manuals?|"
                       r"polic(?:y|ies)|papers?)$")
_LABEL_NOUN = re.compile(
    r"^(?:\s+[\w'-]+){0,2}?\s+(?:categories|classes|labels|intents|teams|departments|queues|buckets|topics|"
    r"types|tags|entity types|kinds|levels|codes)\b"
)
_RATE = re.compile(
    r"\b(?:a|an|per|each|every)\s+(?P<unit>second|minute|hour|day|week|month|year|quarter)\b|"
    r"\b(?P<adv>hourly|daily|weekly|monthly|yearly|annually)\b|/(?P<slash>day|week|month)\b"
)
_PER_DAY = {"second": 86_400, "minute": 1_440, "hour": 24, "hourly": 24, "day": 1, "daily": 1, "week": 1 / 7,
            "weekly": 1 / 7, "month": 1 / 30, "monthly": 1 / 30, "year": 1 / 365, "yearly": 1 / 365,
            "annually": 1 / 365, "quarter": 1 / 91}
_LABELLED_CUE = re.compile(
    r"\b(?:labell?ed|annotated|tagged|hand[- ]labell?ed|categori[sz]ed|classified|gold|ground[- ]truth|training|"
    r"examples?|pairs|with (?:their|the|its|a|an|human|reference|correct|expert|known|agent|matching|"
    r"corresponding)\b|already (?:sorted|routed|labell?ed|tagged|classified|translated|summari[sz]ed)|"
    r"resolved by|human[- ](?:written|translated|labell?ed)|reference (?:summaries|translations)|"
    r"marked (?:as|with)|sorted (?:into|by)|routed by|and their|to (?:learn|train) (?:from|on)|"
    r"(?:moderator|human|expert|agent|reviewer|analyst|editor)s?'? (?:decisions|labels|judge?ments|ratings)|"
    r"(?:written|wrote|created|produced|made|checked|reviewed|curated|translated|authored) by|paired with|treebank|"
    r"(?:fine-?tune|train)\w* (?:\w+ ){0,3}on|with (?:\w+ ){0,2}(?:categories|labels|tags|classes|ratings|outcomes)|"
    r"matched with|(?:have|has) written|(?:past|previous|historical|existing|archived) (?:\w+ )?(?:replies|"
    r"responses|descriptions|summaries|translations|answers|letters|emails|posts|articles|impressions))"
)
_TRAFFIC_VERB = re.compile(r"\b(?:get|gets|receive|receives|handle|handles|process|processes|see|serve|field|"
                           r"answer|come in|arrive|incoming)\b")
_PER_LABEL = re.compile(r"^[^.;]{0,30}\b(?:per|for each|of each|in each)\s+(?:class|category|label|intent|team|type)")


@dataclass
class Quote:
    """A detected cue and the user's own words that triggered it."""

    kind: str
    text: str
    value: float | None = None


@dataclass
class TextSignals:
    """Everything :func:`read_signals` found in a description."""

    task_scores: dict[str, float]
    cues: dict[str, Quote] = field(default_factory=dict)
    labelled: Quote | None = None
    corpus: Quote | None = None
    traffic: Quote | None = None
    label_count: int | None = None
    label_list: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


def _negated(low: str, start: int) -> bool:
    """Whether a negation word closely precedes position ``start`` in the same clause."""
    window = re.split(r"[.;!?]|\bbut\b", low[max(0, start - 40):start])[-1]
    return bool(_NEGATION.search(window))


def _first(pattern: str, low: str, text: str, negatable: bool = True) -> str | None:
    """The first non-negated match of ``pattern``, quoted from the original text."""
    for m in re.finditer(pattern, low):
        if not (negatable and _negated(low, m.start())):
            return text[m.start():m.end()].strip()
    return None


def score_tasks(low: str) -> dict[str, float]:
    """Weighted task scores of a lower-cased description (each pattern counts once).

    Args:
        low: The description, lower-cased.
    """
    scores: dict[str, float] = {}
    for task in TASKS:
        total = 0.0
        for pattern, weight in TASK_PATTERNS[task]:
            if any(not _negated(low, m.start()) for m in re.finditer(pattern, low)):
                total += weight
        scores[task] = round(total, 2)
    return scores


def _quantity_value(m: re.Match[str]) -> float:
    if m.group("words"):
        return float(_WORD_QUANTITIES[m.group("words")])
    value = float(m.group("num").replace(",", ""))
    return value * _MULT.get((m.group("mult") or "").lower(), 1.0)


def _read_quantities(low: str, text: str, sig: TextSignals) -> None:
    """Fill labelled / corpus / traffic / label-count quantities from numbers in the text."""
    for m in _NUMBER.finditer(low):
        value = _quantity_value(m)
        after = re.split(r"[.;!?](?:\s|$)|\n", low[m.end():m.end() + 90])[0]
        if not _DATA_NOUN.match(after) and _LABEL_NOUN.match(after) and 1 < value <= 1000:
            sig.label_count = int(value)
    for m in _NUMBER.finditer(low):
        value = _quantity_value(m)
        after = re.split(r"[.;!?](?:\s|$)|\n", low[m.end():m.end() + 90])[0]
        before = re.split(r"[.;!?](?:\s|$)|\n", low[max(0, m.start() - 50):m.start()])[-1]
        noun_m = _DATA_NOUN.match(after)
        if not noun_m:
            continue
        noun, noun_stop = noun_m.group("noun"), noun_m.end()
        while extend := _NOUN_EXTEND.match(after[noun_stop:]):
            noun, noun_stop = extend.group("noun"), noun_stop + extend.end()
        noun_end = m.end() + noun_stop
        tail = after[noun_stop:]
        quote = text[m.start():noun_end].strip()
        rate_after = _RATE.search(tail[:40])
        # "every day we get 500 ...": a rate before the number counts only when it is clearly one
        rate_before = re.search(r"\b(?:every|each|per)\s+(?:second|minute|hour|day|week|month|year)\b|"
                                r"\b(?:hourly|daily|weekly|monthly)\b", before.split(",")[-1][-25:])
        found = rate_after or rate_before
        rate = _RATE.search(found.group(0)) if found else None
        if rate is not None:
            if rate_after:
                quote = text[m.start():noun_end + rate_after.end()].strip()
            per_day = value * _PER_DAY[rate.group("unit") or rate.group("adv") or rate.group("slash")]
            if sig.traffic is None or per_day > (sig.traffic.value or 0):
                sig.traffic = Quote("traffic", quote, per_day)
            continue
        context = before[-30:] + " " + after
        labelled = bool(_LABELLED_CUE.search(context)) or noun.startswith(
            ("example", "sample", "pair", "annotation", "triple"))
        if labelled and not re.search(r"\b(?:un|not |aren'?t )labell?ed\b", context):
            if _PER_LABEL.match(tail) and sig.label_count:
                value *= sig.label_count
            if sig.labelled is None or value > (sig.labelled.value or 0):
                sig.labelled = Quote("labelled", quote, value)
        elif _TRAFFIC_VERB.search(before) and value >= 1000 and sig.traffic is None:
            sig.traffic = Quote("traffic", quote, None)
        elif _DOC_NOUN.match(noun) and (sig.corpus is None or value > (sig.corpus.value or 0)):
            sig.corpus = Quote("corpus", quote, value)


_LIST_TRIGGER = (r"(?:\b(?:into|to|as|between|among|categories|labels|classes|teams|queues|buckets|intents|like|"
                 r"such as|either|extract|redact|find|detect|pull out|including|e\.g\.)\b:?|:|\()")
_WORD = (r"(?!(?:and|or|but|we|that|which|with|so|for|because|to|in|of|from|at|on|by|per|into|about|before|"
         r"after|when|if|are|is|was|be|it|them|they|this|these|those)\b)[\w'/&-]+")
_ITEM = rf"{_WORD}(?: {_WORD}){{0,2}}"
_LIST = re.compile(_LIST_TRIGGER + rf"\s*((?:{_ITEM}, )*{_ITEM},? (?:and|or) {_ITEM}|(?:{_ITEM}, )+{_ITEM})")
_ITEM_STOP = {"the", "a", "an", "our", "their", "its"}
_TRAILING_NOUN = re.compile(r"\s+(?:teams?|categories|labels|classes|queues|departments|buckets|intents|issues)$")


def _read_label_list(low: str, text: str, sig: TextSignals) -> None:
    """Detect an enumerated label / entity set such as "billing, refunds, delivery and account"."""
    for m in _LIST.finditer(low):
        body = text[m.start(1):m.end(1)]
        if "," not in body and not re.search(r"\b(?:into|as|either|between)\b", low[m.start():m.start(1)]):
            continue
        parts = re.split(r",\s*(?:and |or )?|\s+(?:and|or)\s+", body)
        items = []
        for part in parts:
            words = [w.strip("'\"") for w in part.strip().split() if w.lower() not in _ITEM_STOP]
            item = _TRAILING_NOUN.sub("", " ".join(words))
            if item and len(item) <= 30:
                items.append(item)
        if len(items) >= 2 and len(items) > len(sig.label_list):
            sig.label_list = items
    if sig.label_list and not sig.label_count:
        sig.label_count = len(sig.label_list)


def read_signals(description: str) -> TextSignals:
    """Read every task and decision cue from a task description.

    Args:
        description: The user's own words about their task.

    Returns:
        The detected signals, each decision cue with the user's words that triggered it.
    """
    text = re.sub(r"[\u2018\u2019]", "'", description or "")
    text = re.sub(r"[\u2013\u2014]", "-", text)
    # lower-case character by character so positions in `low` stay valid in `text` (quotes come from `text`)
    low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    sig = TextSignals(task_scores=score_tasks(low))
    for kind, (pattern, negatable) in CUE_PATTERNS.items():
        quote = _first(pattern, low, text, negatable)
        if quote:
            sig.cues[kind] = Quote(kind, quote)
    _read_label_list(low, text, sig)
    _read_quantities(low, text, sig)
    no_labels = _NO_LABELS.search(low)
    if no_labels and sig.labelled is None:
        sig.labelled = Quote("labelled", text[no_labels.start():no_labels.end()].strip(), 0.0)
    for name, code in _LANGUAGE_CODES.items():
        if re.search(rf"\b{name}\b", low) and code not in sig.languages:
            sig.languages.append(code)
    return sig
