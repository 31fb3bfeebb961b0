"""Needs the user says they do not have: "no latency or privacy concerns", "an overnight batch is fine",
"nothing in them is confidential", "a plain neutral tone is fine", "the handbook hasn't changed in years".

Pure data, like :mod:`assistant.advisor.patterns`: :mod:`assistant.advisor.signals` silences a decision cue
that falls inside such a phrase, and the reader believes the need absent unless another cue says it.
"""

from __future__ import annotations

#: A need the user says they do not have: "no latency or privacy concerns", "an overnight batch is fine",
#: "nothing sensitive in the data", "a plain neutral tone is fine". Field -> pattern; a cue for the same need
#: inside such a phrase is not a cue, and the reader believes the need is absent unless another cue says it.
_CONCERN = (r"(?:concerns?|constraints?|requirements?|needs?|issues?|worries|restrictions?|rules|pressure|limits?|"
            r"problems?|demands?|sensitivit(?:y|ies))")
_NO = r"\b(?:no|not any|without any|without|zero|few|no real|no particular|no special|no strict|no hard|no big)"
NEEDS_OFF: dict[str, str] = {
    "latency": (
        rf"{_NO} (?:\w+ (?:or|and|/) )?(?:latency|speed|timing|time|response[- ]time|turnaround|real[- ]time)"
        rf"(?:,? (?:or|and|/) \w+)? {_CONCERN}"
        r"|\b(?:latency|speed|turnaround|response time|timing)(?: and \w+)? (?:is not|isn'?t|are not|aren'?t|doesn'?t|does not)"
        r" (?:really )?(?:a |an )?(?:concern|issue|problem|critical|important|priority|matter|an issue|a concern)"
        r"|\b(?:an |a )?(?:overnight|nightly|next[- ]day|end[- ]of[- ]day|weekly|batch)(?: \w+){0,2} (?:is|are|would be) "
        r"(?:fine|ok|okay|acceptable|enough|good enough)\b"
        r"|\b(?:a few|several|\d+|a couple of|ten|thirty) (?:seconds|minutes|hours)(?: \w+){0,3} (?:is|are|would be) "
        r"(?:fine|ok|okay|acceptable|enough)\b"
        # "Latency's not a big deal", "speed's irrelevant"
        r"|\b(?:latency|speed|turnaround|response time|timing)(?:'s| is| are) (?:not (?:really )?(?:a )?(?:big |huge |"
        r"major |real )?(?:deal|concern|issue|problem|priority)|irrelevant|unimportant|not important|secondary)\b"
        r"|\bno rush\b|\bnot (?:time[- ]critical|time[- ]sensitive|latency[- ]sensitive|in a hurry|urgent)\b|"
        r"\b(?:speed|latency) (?:doesn'?t|does not|don'?t) matter\b|\b(?:can|may) wait\b|"
        r"\b(?:nobody|no one)(?: is|'s) (?:waiting|in a hurry)\b"
    ),
    "privacy": (
        rf"{_NO} (?:\w+ (?:or|and|/) )?(?:privacy|confidentiality|compliance|data[- ]protection|security|gdpr|"
        rf"sensitive data|pii)(?:,? (?:or|and|/) \w+)? {_CONCERN}"
        # "nothing in them is confidential", "none of it is private", "the tickets aren't sensitive", "privacy isn't
        # really the concern", "privacy doesn't matter", "confidentiality isn't a blocker"
        r"|\b(?:nothing|none)(?: of (?:it|them|this))?(?: (?:in|here|there) ?(?:them|it|there|here|the \w+)?)?(?:'s| is)? "
        r"(?:\w+ )?(?:sensitive|confidential|private|personal|secret)\b"
        r"|\b(?:is|are|'s|'re|was|were)(?: all)? ?(?:not|n'?t) (?:\w+ )?(?:sensitive|confidential|private|personal)\b"
        r"|\b(?:privacy|confidentiality|data privacy|data protection|security)(?:'s| is| was)? ?(?:not|n'?t|doesn'?t|does not)"
        r" (?:really |much )?(?:a |an |the )?(?:big |real |major )?(?:concern|issue|factor|blocker|problem|worry|matter|"
        r"either)\b"
        r"|\b(?:data|content|text|texts|it|everything|they|documents)(?: is| are|'s|'re)(?: all| already)? "
        r"(?:public|publicly available|open data)\b(?!-)|\ball public\b(?!-)"
        r"|\b(?:fine|ok|okay|happy|allowed) (?:to|with) (?:use|using|send|sending|call|calling) (?:a |an |any )?"
        r"(?:cloud|hosted|external|third[- ]party|openai|commercial|public)\b"
    ),
    "style": (
        r"\b(?:a |any )?(?:plain|neutral|generic|standard|normal|default|ordinary|simple)(?:,? (?:plain|neutral|"
        r"simple|clear))? (?:tone|style|voice|wording|english)s? (?:is|are|would be) (?:fine|ok|okay|enough)\b"
        r"|\b(?:tone|style|voice|wording) (?:doesn'?t|does not|don'?t|do not) matter\b"
        r"|\bno (?:particular|special|house|specific|brand) (?:tone|style|voice)\b|\bany (?:tone|style) (?:is|will do)\b"
    ),
}
NEEDS_OFF["changing"] = (
    r"\b(?:hasn'?t|haven'?t|has not|have not|hardly (?:ever )?|rarely|never|doesn'?t|don'?t|won'?t|will not|does not|do not)"
    r" (?:ever |really |been |actually )?(?:chang|updat|edit|revis|amend)\w*"
    r"|\b(?:frozen|unchanging|static|set in stone)\b|\bno longer (?:updated|maintained|edited|changes|changing)\b"
    r"|\b(?:nobody|no one) (?:edits|updates|changes|touches)\b|\bthe same (?:for|every) (?:years|decades)\b"
)
#: The decision cues each negated need silences when they fall inside its phrase.
NEEDS_OFF_CUES: dict[str, tuple[str, ...]] = {"latency": ("latency",), "privacy": ("privacy", "on_prem"),
                                              "style": ("style",), "changing": ("changing",)}

