"""The regular-expression tables the advisor's text reader matches descriptions against.

Pure data: language names, the task patterns with their weights, the decision-cue patterns and the
negation and "no labelled data" detectors. :mod:`assistant.advisor.signals` applies them to a
description; the advisor quotes the user's words it finds with them.
"""

from __future__ import annotations

import re

# Language name -> ISO 639-1 code.
LANGUAGE_CODES: dict[str, str] = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "polish": "pl", "swedish": "sv", "danish": "da", "norwegian": "no", "finnish": "fi",
    "czech": "cs", "greek": "el", "turkish": "tr", "russian": "ru", "ukrainian": "uk", "arabic": "ar",
    "hebrew": "he", "hindi": "hi", "bengali": "bn", "urdu": "ur", "chinese": "zh", "mandarin": "zh",
    "japanese": "ja", "korean": "ko", "vietnamese": "vi", "thai": "th", "indonesian": "id", "malay": "ms",
    "swahili": "sw", "yoruba": "yo", "amharic": "am", "zulu": "zu", "hungarian": "hu", "romanian": "ro",
    "bulgarian": "bg", "catalan": "ca", "basque": "eu", "welsh": "cy", "irish": "ga", "icelandic": "is",
    "estonian": "et", "latvian": "lv", "lithuanian": "lt", "persian": "fa", "farsi": "fa", "tagalog": "tl",
    "hausa": "ha", "igbo": "ig", "somali": "so", "nepali": "ne", "sinhala": "si", "khmer": "km", "latin": "la",
    "portugese": "pt", "bahasa": "id", "portugues": "pt", "tamil": "ta", "telugu": "te", "punjabi": "pa", "gujarati": "gu",
}
# Languages with little web text: general models translate and understand them noticeably worse.
LOW_RESOURCE = frozenset(
    {"sw", "yo", "am", "zu", "eu", "cy", "ga", "is", "et", "lv", "lt", "tl", "ha", "ig", "so", "ne", "si", "km"}
)
_LANG = "(?:" + "|".join(sorted(LANGUAGE_CODES, key=len, reverse=True)) + ")"
#: Two language codes joined by an arrow ("EN->FR", "de → en"): the pair of a translation.
_CODE = r"(?:en|fr|de|es|pt|nl|pl|sv|da|fi|cs|el|tr|ru|uk|ar|he|hi|zh|ja|ko|vi|th|ro|hu|bg)"
LANGUAGE_PAIR = rf"(?P<source>{_CODE})\s*(?:->|→|=>|>)\s*(?P<target>{_CODE})"

# A negation word near the end of the text before a match ("we do not need ..."): the match is dropped.
NEGATION = re.compile(
    # "no", but not the "no" of "yes/no" or "yes or no"
    r"\b(?:not|(?<!yes/)(?<!yes or )(?<!yes-)no(?![/-])|never|don'?t|doesn'?t|isn'?t|aren'?t|won'?t|without|nor|"
    r"hardly|rarely|seldom|neither|no need|unlikely)\b[^.;!?]{0,25}$"
)

# ---------------------------------------------------------------------------------------------------
# Task patterns: (regex, weight). Each pattern counts once, however often it matches.
TASK_PATTERNS: dict[str, list[tuple[str, float]]] = {
    "text-classification": [
        (r"\bclassif(?:y|ies|ied|ying|ication|ier)\b", 2.5),
        (r"\bcategori[sz](?:e|es|ed|ing|ation)\b", 2.5),
        (r"\bcategor(?:y|ies)\b", 1.0),
        (r"\bclass(?:ed|ing) (?:as|into)\b", 2.5),
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
        # "pull part names, prices and bike models out of our notes": things taken out of running text
        (r"\b(?:pull|get|take|lift|grab)\w*\s+(?:[\w,'/-]+\s+){1,8}out of\b", 2.5),
        (r"\b(?:pii|personally identifiable|personal (?:data|information|details))\b", 1.5),
        (r"\b(?:redact\w*|anonymi[sz]\w*|pseudonymi[sz]\w*|de-?identif\w*|mask\w*\s+(?:out\s+)?(?:the\s+)?"
         r"(?:names|pii|personal))\b", 3.0),
        (r"\b(?:names?|dates?|amounts?|addresses|locations?|organi[sz]ations?|companies|people|persons?|"
         r"medications?|drugs?|dosages?|skills|product codes|part (?:names|numbers)|prices|invoice numbers?|phone numbers|"
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
        # "manuals EN->FR", "de → en"
        (rf"\b{LANGUAGE_PAIR}\b", 3.0),
        # "How do I say 'where is the station' in Greek?", "what's 'thank you' in Japanese"
        (rf"\b(?:how (?:do|would|can|should|to) (?:i |you |we |one )?(?:say|write|ask|spell)|what(?:'s| is) "
         rf"(?:the word for )?)[^.?!]{{0,80}}\bin {_LANG}\b", 3.5),
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
        # "descriptions drafted from the details sheet", "new headlines from new briefs"
        (r"\b(?:draft|write|writ|generat|produc|creat)\w*\s+(?:\w+\s+){0,3}?from\s+(?:the |a |our |each |new )?"
         r"(?:[\w'-]+ )?(?:details|brief|briefs|notes|bullet points|specs?|facts|outline|keywords|sheets?)\b"
         r"|\bnew (?:ad |product )?(?:headlines|copy|slogans|taglines|captions|ads|descriptions) (?:from|for) (?:new )?"
         r"(?:briefs|products|listings)\b", 2.0),
        (r"\b(?:talk|talks|chat|chats)\s+(?:to|with)\b", 1.5),
    ],
}

# ---------------------------------------------------------------------------------------------------
# Decision cue patterns: kind -> (regex, negatable). Weights and reasons live in factors.py.
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
        r"chemistry|maintenance logs|engineering|niche|industry[- ]specific|trade terms|shorthand|slang|"
        r"nicknames|in-house (?:terms|codes|abbreviations))\b", True),
    "style": (
        r"\b(?:house style|brand voice|(?:our|the company's) (?:own )?(?:voice|style|tone)|tone of voice|"
        r"in the style of|consistent (?:tone|style|voice)|house (?:voice|tone)|distinctive (?:voice|tone|style)|(?:answers?|responds?|replies|writes|talks|sounds?) like (?:us|our [\w-]+|a human|"
        r"one of us)|on-brand|"
        r"brand guidelines|style guide|writing style)\b", True),
    "latency": (
        r"\b(?:latency|real[- ]time|realtime|milliseconds|sub-?second|split[- ]second|\d+\s?ms|instant(?:ly)?|fast (?:responses|enough|"
        r"inference)|under (?:a|one|\d+) seconds?|within (?:\d+|a) (?:ms|milliseconds|seconds?)|quickly enough|"
        r"as fast as|keep up with (?:typing|the typing|users typing|live|the stream|speech)|as (?:they|you|people|users) type)\b",
        True),
    "cost": (
        r"\b(?:costs?|costly|cheap(?:er|ly)?|expensive|budget|api (?:bills?|costs|fees)|per[- ]token|token costs|"
        r"pay per call|spend(?:ing)?|afford)\b", True),
    "privacy": (
        # not a team ("Compliance has reviewed"), a document ("privacy policy"), a kind of clinic or a label in a list
        r"\b(?:privacy(?! (?:policy|policies|notice|statement))|private(?! (?:clinic|school|hospital|practice|bank|"
        r"banking|equity|label|sector|tutor|members?))|confidential(?:ity)?(?!,| or | and |\)| etc| clauses?)\w*|"
        r"sensitive|hipaa|gdpr(?! erasure)|patient data|medical records|"
        r"(?:can ?not|can't|cannot|must not|mustn't|not allowed to|may not|never) (?:be )?(?:send|sent|share|"
        r"shared|leave|upload|uploaded|use an external|go to|touch)|"
        # "no text may leave our data centre", "nothing can be sent out"
        r"(?:no|nothing|none)(?: [\w-]+){0,3} (?:may|can|should|must|shall|is allowed to|will) (?:ever )?(?:leave|"
        r"be sent|be shared|be uploaded|go (?:to|out|outside))|third[- ]party (?:apis?|services|providers)|"
        r"data residency|compliance (?:rules|requirements|reasons|constraints)|(?:for|due to|because of) compliance|"
        r"regulated (?:data|industry|environment|sector)|in[- ]house only)\b", False),
    "on_prem": (
        r"\b(?:on[- ]prem\w*|self[- ]host\w*|air[- ]?gapped|offline|no internet|without internet|on[- ]device|"
        r"edge devices?|(?:run|runs|running|work|works|deploy\w*) (?:\w+ )?on (?:a |the |our |their )?(?:mobile|phones?|"
        r"devices?|laptops?|edge|tablets?|raspberry pi)|raspberry pi|our own (?:data ?cent(?:er|re)s?|"
        r"servers?|hardware|gpus?|infrastructure)|run (?:it )?locally|local machines?)\b", False),
    "high_volume": (
        r"\b(?:millions of|billions of|high[- ]volume|huge volume|large volumes?|at scale|(?:hundreds|thousands) "
        r"(?:of \w+ )?(?:per|a|every) (?:second|minute)|every (?:transaction|payment|order|message|call)|"
        r"(?:hundreds of thousands|tens of thousands|millions|billions) of (?:users|customers|visitors|players|members|"
        r"people|shoppers|subscribers|students|keystrokes))\b", True),
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
        r"\b(?:(?:chang\w*|updated?|updates|revised|edited|added|reshuffled|reassigned|rotated|reorgani[sz]ed|"
        r"amended|modified) (?:(?:most|many|some) (?:days|weeks|months)|(?:almost |roughly )?every (?:few|couple of|"
        r"other|two|three|\d+) (?:days|weeks|months)|"
        r"(?:almost |nearly |pretty much |roughly |about )?(?:with |on |after )?(?:every|each) (?:few |couple of |other )?(?:day|week|"
        r"month|quarter|release|update|version|sprint|season|morning|evening|night|hour|shift)|often|frequently|constantly|daily|weekly|monthly|"
        r"quarterly|all the time|regularly)|(?:daily|weekly|monthly|frequent|constant|"
        r"regular) (?:updates|changes|releases)|up[- ]to[- ]date|latest|current (?:prices|stock|inventory|"
        r"policies|information|info|version|rates|availability)|new (?:products|policies|documents|articles|"
        r"releases|items|versions|rules|regulations) (?:every|each|all the time)|keeps? changing|fast[- ]moving|"
        r"live (?:data|prices|inventory|stock)"
        # what is true today: "today's hearing list", "this week's promotions", "right now", "in stock", "current
        # departure time", "revised several times a year", "flight status is live" (corpus: 95 rows, 2 not RAG)
        r"|(?:today|tonight|the day|this (?:week|month|semester|term|season|quarter|weekend|morning))'?s"
        r"(?! (?:\w+ ){0,2}(?:newsletter|meeting|email|memo|report|letter|notes|call|session|class|lecture|episode|post|"
        r"minutes|sermon|speech|game|match|issue|edition|homework))|right now(?!,? (?:a|an|the|we|our|they|i|it|everyone|everything|each|every|people|staff|agents?|humans?|someone|"
        r"somebody|nobody|no one|this|that|all|most|only)\b)|"
        r"at the moment(?!,? (?:a|an|the|we|our|they|i|it|everyone|everything|each|every|people|staff|agents?|humans?|"
        r"someone|somebody|nobody|no one|this|that|all|most|only)\b)|as of today|currently (?:open|available|in stock|on sale|running|valid|active|on|live)|"
        r"in stock|on promotion|on offer|sold out|availability|current (?:\w+ )?(?:departure|status|balance|plan|rules|regulations|requirements|restrictions|laws|visa|"
        r"prices?|stock|timetable|rota|schedule|hours|menu|list|rates?|opening|version|terms|fees|exchange)\w*|"
        r"(?:revised|updated|amended|edited|changes?|changed) (?:\w+ )?(?:several|many|a few|multiple|\d+) times "
        r"(?:a|per|each) (?:day|week|month|year)|it changes|changes (?:for|with) (?:the|each|every)|(?:is|are) live|"
        r"live (?:\w+ )?(?:page|status|feed|rates?|prices?|scores?|data))\b", True),
    "citations": (
        r"\b(?:cite|cites|cited|citing|(?<!case )(?<!every )(?<!each )(?<!all )citations?|quot\w+ (?:\w+ ){0,3}(?:wording|text|"
        r"clauses?|sections?|passages?|paragraphs?|lines?) (?:from|of|in)|(?:show|give|include|link|quote|list|return|point to)\w* (?:\w+ ){0,2}"
        r"(?:the )?(?:sources?|references?|clauses?|sections? text|page numbers?)|with (?:sources|references)|source documents?|link (?:back )?to the (?:\w+ ){0,2}"
        r"(?:sections?|pages?|sources?|documents?|polic(?:y|ies)|articles?|clauses?|paragraphs?)|"
        r"traceab\w*|which (?:document|page|section|clause|policy)|provenance|grounded|verifiable|auditable|"
        r"with links?)\b",
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

# "We have no labelled examples yet": zero labelled data, quoted when no count of labelled data is found.
NO_LABELS = re.compile(
    r"\b(?:no|zero|don'?t have (?:any )?|do not have (?:any )?|haven'?t got (?:any )?|without (?:any )?|lack|"
    r"nothing)\b\s*(?:\w+\s+){0,2}?(?:labell?ed|annotated|training|gold|example)s?\s*(?:data|examples|set|sets|yet)?\b"
    r"|\b(?:no|zero) (?:data|examples) (?:yet|at all|to train)"
    # "No data, just me", "ZERO paralel data", "no translation memory", "nothing to train on", "havent got any data"
    r"|\b(?:no|zero) (?!(?:private|personal|sensitive|confidential|customer|patient|health|medical|financial|"
    r"identifiable|regulated|secret)\b)(?:\w+ )?data\b(?! (?:can|may|must|should|will|leaves?|leaving|goes|is sent|to leave|is allowed|"
    r"protection|retention|science|scientists?|engineers?|team|residency|transfer|sharing|leaks?|outside|may leave|"
    r"to|goes|going|out|off|sent|leaving|exfiltration|egress|access|collection|stored))"
    r"|\bno (?:translation memor(?:y|ies)|tm|glossary or translations)\b|\bnothing to (?:train|learn|start) (?:on|from|with)\b"
    r"|\b(?:haven'?t|havent|have not|don'?t|dont|do not) (?:got )?any (?:\w+ )?data\b"
    r"|\bunlabell?ed\b|\b(?:not|never been|aren'?t|isn'?t) (?:\w+ )?(?:labell?ed|annotated|tagged)\b"
    r"|\b(?:haven'?t|have not|hasn'?t|has not|never|didn'?t|did not) (?:\w+ )?(?:labell?ed|annotated|tagged|"
    r"marked|categori[sz]ed|classified|summari[sz]ed|translated|coded)\b"
    # "nothing annotated", "Nothing translated yet", "none labelled", "none of them are tagged"
    r"|\b(?:nothing|none)(?: of (?:them|these|those|it))?(?: (?:is|are|was|were|has|have|had))?(?: been)? "
    r"(?:\w+ )?(?:coded|annotated|labell?ed|tagged|translated|summari[sz]ed|answered|marked|categori[sz]ed|reviewed|"
    r"rated|checked|verified|scored|graded)\b"
    # "no existing translations", "no parallel data", "No digests written yet", "no annotations"
    r"|\b(?:no|zero) (?:existing |prior |previous |past |reference |human |approved |gold |parallel )?(?:annotations|labels|"
    r"translations|summaries|digests|abstracts|parallel (?:data|text|texts|corpus|corpora|sentences)|"
    r"reference (?:answers|summaries|translations)|answered (?:examples|questions)|written (?:examples|replies))\b"
    # "not a single English translation", "don't have a single translated sentence"
    r"|(?:\bnot|n'?t have|\bwithout) a single (?:\w+ ){0,3}?(?:labels?|annotations?|translations?|summary|summaries|"
    r"answers?|examples?|sentences?|replies|reply|responses?|pairs?)\b"
    # "we never kept any of the translated versions", "haven't collected any examples"
    r"|\b(?:never|haven'?t|have not|didn'?t|did not) (?:kept|saved|stored|collected|gathered|written|wrote|"
    r"recorded) any\b"
    # "not a single one tagged", "none of it has been marked up"
    r"|\b(?:not|none)(?: of)? (?:a single |one |any )?(?:\w+ ){0,2}?(?:(?:is|are|was|were|has|have|had) )?(?:been )?"
    r"(?:labell?ed|annotated|tagged|marked up|hand-labell?ed|coded)\b"
    # "nobody has ever labelled any", "no one has marked up an example", "nobody's annotated them"
    r"|\b(?:nobody|no one|no-one|noone)(?:'s| has| have| had| ever|\s)*\s*(?:\w+ )?(?:labell?ed|annotated|tagged|"
    r"marked|translated|summari[sz]ed|answered|coded|categori[sz]ed|classified|wrote|written|replied|responded)\b"
    # "we never replied to any", "None of the old files ever had a summary written"
    r"|\b(?:never|haven'?t|have not|didn'?t|did not) (?:ever )?(?:replied|responded|answered) to (?:any|them|one)\b"
    r"|\bnone of (?:the |them |these |those |our )(?:\w+ ){0,2}(?:ever )?(?:had|has|have|got|came with) (?:a |any )?"
    r"(?:\w+ )?(?:summary|summaries|translations?|labels?|tags?|answers?|annotations?|notes|descriptions?|digests?|"
    r"captions?|titles?|repl(?:y|ies))\b"
    # "no answers were ever recorded", "no curated or rated replies", "Nothing has ever been written up"
    r"|\bno (?:\w+ (?:or|and) )?(?:\w+ )?(?:answers|replies|responses|summaries|translations|labels|annotations)"
    r"(?: (?:were|was|have been|has been|are|exist|ever))\b"
    r"|\bno (?:curated|rated|approved|written|reference|human|gold|labell?ed|annotated|translated|summari[sz]ed)"
    r"(?: (?:or|and) \w+)? (?:sentence )?(?:replies|responses|answers|summaries|translations|examples|data|pairs|"
    r"sentences|segments)\b"
    r"|\bnothing (?:has |have )?(?:ever )?(?:been )?written (?:up|down)\b"
    # "never written a summary of any of them", "haven't produced a single translation"
    r"|\b(?:never|haven'?t|have not|hasn'?t|has not|didn'?t|did not)(?: ever| yet)? (?:written|wrote|produced|made|done|"
    r"created|had|got|gotten|kept) (?:a |any |one )?(?:single )?(?:\w+ )?(?:summary|summaries|translations?|"
    r"labels?|annotations?|answers?|notes|abstracts?|digests?|minutes)\b"
    # "transcripts but no notes", "no write-ups", "we don't have any existing translations at all"
    r"|\b(?:no|zero) (?:notes|write-?ups|minutes|synops[ie]s|gists|tl;?drs|recaps|versions in)\b"
    r"|\b(?:don'?t|do not|doesn'?t|does not|haven'?t|have not|hasn'?t|has not)(?: have| got)?(?: any| a single)? "
    r"(?:\w+ ){0,2}(?:translations|summaries|labels|annotations|reference answers|answered questions|notes|pairs|"
    r"examples)\b"
    r"|\bno (?:\w+ )?translations? (?:before|yet|so far|at all|of (?:it|them))\b"
)

#: Any word that says something about labelled data, had, kept or missing ("tagged", "pairs", "past replies",
#: "no data", "historic"). A description with none of these, once what the user *wants* is set aside ("we want
#: each tagged"), has not said how much labelled data there is: on the corpus, 1,081 of 1,086 such rows are labelled
#: "not said" (2026-12-03).
LABEL_WORDS = re.compile(
    r"\b(?:label\w*|labl\w*|annotat\w*|tagged|tags|hand[- ]\w+|examples?|pairs?|paired|approved|rated|ratings|"
    r"gold|ground[- ]truth|graded|scored|coded|codes|categori[sz]ed|classified|sorted|routed|marked|verified|corrected|"
    r"translated|translations?|summaries|summari[sz]ed|digests|abstracts|answered|answers|replies|responses|"
    r"written|wrote|kept|archive|history|historical|historic|past|previous|old|existing|resolved|solved|outcomes?|"
    r"decisions|reviewed|curated|dataset|data ?set|data|training|corpus|transcripts|logs|records|before/after|versions|"
    r"triaged|moderated|audited|flagged|unflagged|escalated|cleared|checked|aligned|parsed|fields|set by|derived|"
    r"segments|tmx|memor(?:y|ies)|bilingual|parallel|so far|already|done|exist|available|by hand|whose|"
    r"entries|solutions|recaps|notes|lines|headings|headlines|spans|dialogues|conversations|threads|chats|utterances|"
    r"confirmed|matched|redacted|highlighted|foldered|locali[sz]ed|rewritten|post-edited|chaptered|catalogu?ed|"
    r"with (?:[\w-]+ ){0,3}(?:reasons|priorit\w+|headings|difficulty|scores|categories|outcomes|notes))\b"
)
#: Words that say what the user wants done, not what they have ("we want 2,000 emails labelled", "hoping to get
#: summaries", "names to be marked up"): one list for every reader that must tell the two apart.
DESIRE_WORDS = (r"want|wants|wanted|need|needs|would like|'d like|hoping|hope|plan|planning|looking to|trying to|"
                r"to get|to be|should be|must be")
#: What the user wants done ("and want each tagged with topics"): up to the end of its sentence.
DESIRE = re.compile(rf"\b(?:{DESIRE_WORDS})\b[^.;!?]*")
#: "2 million pages ... and want names marked up": where what the data has ends and what the user wants begins.
DESIRE_WORD = re.compile(rf"\b(?:{DESIRE_WORDS})\b")
#: "we want 2,000 emails labelled", "we'd like to have 500": a count of what they want, not what they have.
DESIRE_BEFORE = re.compile(rf"\b(?:{DESIRE_WORDS})\s+(?:to have\s+)?(?:\w+\s+)?$")
