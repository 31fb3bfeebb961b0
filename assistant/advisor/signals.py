"""Signals the advisor reads from a free-text task description.

Everything here is plain regular expressions over the lower-cased description: no model is loaded, so
:func:`read_signals` is fast and deterministic. Patterns carry weights; a match preceded closely by a
negation ("we do *not* need citations") is dropped. The pattern tables themselves live in
:mod:`assistant.advisor.patterns`. The advisor (:mod:`assistant.advisor.advise`) turns the signals into a
decision with reasons; this module only detects and quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.advisor.needs_off import NEEDS_OFF, NEEDS_OFF_CUES
from assistant.advisor.patterns import (
    CUE_PATTERNS,
    DESIRE_BEFORE,
    DESIRE_WORD,
    LANGUAGE_CODES,
    LANGUAGE_PAIR,
    NEGATION,
    NO_LABELS,
    TASK_PATTERNS,
)
from assistant.advisor.quantities import NUMBER, quantity_value
from catalog.schema import TASKS

# ---------------------------------------------------------------------------------------------------
# What a count is a count of ("700 labelled tickets", "3,000 tickets a week"); numbers themselves: quantities.py
_NOUN = (
    r"(?:examples?|samples?|records?|rows?|tickets?|e-?mails?|messages?|reviews?|documents?|docs|articles?|"
    r"reports?|notes|transcripts?|calls?|conversations?|chats?|dialogues?|sentences?|pairs?|quer(?:y|ies)|"
    r"questions?|requests?|posts?|comments?|tweets?|texts?|items?|cases?|claims?|invoices?|contracts?|forms?|"
    r"letters?|descriptions?|summaries|translations?|replies|responses?|complaints?|pages?|pdfs?|files?|entries|"
    r"logs?|listings?|abstracts?|papers?|segments?|paragraphs?|utterances?|annotations?|data ?points?|instances?|headlines?|"
    r"orders?|applications?|resumes?|cvs?|ads|adverts?|advertisements?|interactions?|submissions?|receipts?|triples|triplets|stories|ones|"
    r"times|(?!(?:seconds|minutes|hours|days|weeks|months|years|languages|percent|dollars|euros|pounds|"
    r"employees|people|persons|staff|members|engineers|colleagues|users|customers|visitors|patients|clients|"
    r"tables|columns|steps|levels|categories|classes|labels|intents|teams|departments|queues|buckets|topics|modules|"
    r"sections|desks|stages|groups|"
    r"types|tags|kinds|codes|changes|needs|uses|this|is|was|has|does|always|perhaps|thus)\b)[a-z]{2,}[^s\W]s)\b"
)
_NOUN_GAP = r"(?!(?:a|an|per|each|every|and|or|with|in|of|from|to|that|which|where|who|whose|when|we|for|by|on)\b)[\w'&/-]+"
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
#: Labelling verbs the older lists did not have ("agents have foldered 48,000 emails", "30k cardiologist-confirmed").
_MORE_VERBS = (r"triaged|moderated|audited|flagged|escalated|verified|confirmed|matched|foldered|catalogu?ed|redacted|"
               r"highlighted|rewritten|localised|localized|post-edited|chaptered|resolved|solved|corrected")
_LABELLED_CUE = re.compile(
    r"\b(?:labell?ed|annotated|tagged|hand[- ]labell?ed|categori[sz]ed|classified|gold|ground[- ]truth|training|"
    r"examples?|pairs|with (?:their|the|its|a|an|human|reference|correct|expert|known|agent|matching|"
    r"corresponding)\b|already (?:sorted|routed|labell?ed|tagged|classified|translated|summari[sz]ed|scored|rated|graded|coded|reviewed)|"
    r"resolved by|human[- ](?:written|translated|labell?ed)|reference (?:summaries|translations)|"
    r"marked\b|sorted (?:into|by)|routed by|and their|to (?:learn|train) (?:from|on)|"
    r"(?:moderator|human|expert|agent|reviewer|analyst|editor)s?'? (?:decisions|labels|judge?ments|ratings)|"
    r"(?:written|wrote|created|produced|made|checked|reviewed|curated|translated|authored) by|paired with|treebank|"
    r"(?:fine-?tune|train)\w* (?:\w+ ){0,3}on|with (?:\w+ ){0,2}(?:categories|labels|tags|classes|ratings|outcomes)|"
    r"matched with|(?:have|has) written|(?:past|previous|historical|existing|archived) (?:\w+ )?(?:replies|"
    r"responses|descriptions|summaries|translations|answers|letters|emails|posts|articles|impressions|releases|"
    r"press releases|newsletters|speeches|scripts|ads|adverts|captions|blurbs|headlines|job ads)|"
    # "80 postmortems with exec summaries", "70 translated answers", "80 approved translations"
    r"with (?:\w+ ){0,2}(?:summary|summaries|translations?|answers?|repl(?:y|ies)|responses?|digests?|abstracts?|"
    r"write-?ups?|codes|metadata|labels?|tags|versions?|counterparts?)\b|parallel\b|rated\b|human-written|"
    r"(?:approved|translated|corrected|reviewed|reference|gold|answered) (?:\w+ )?(?:translations|answers|"
    r"summaries|examples|sentences|pairs|replies|responses|strings|segments|versions)|bilingual|"
    # "40,000 shipments have a summary typed by ops", "4k tweets with cause spans", "60k headnotes from our editors"
    r"(?:have|has) (?:a |an |their |its )?(?:\w+ ){0,2}(?:summary|summaries|subjects?|labels?|codes?|categor(?:y|ies)|"
    r"one-liners?|headlines?|titles?|translations?|answers?|spans?|tags?|difficulty|priorit(?:y|ies)|stars|star ratings?|"
    r"ratings?|grades?|verdicts?)\b|"
    r"with (?:\w+ ){0,2}(?:spans|headings|headlines|subjects|titles|reasons|priorit(?:y|ies)|fields|one-liners|"
    r"difficult(?:y|ies)|outcomes|verdicts|judge?ments|decisions)\b|"
    r"from (?:our|the|their) (?:editors|agents|desk|writers|translators|reviewers|clerks|copywriters|moderators|"
    r"analysts|annotators|tutors)\b|"
    # "3 400 letters where the post room did note the department"
    r"where (?:the |our |a |an )?(?:[\w-]+ ){0,3}(?:did |has |have |had )?(?:note|noted|recorded|logged|marked|assigned|"
    r"gave|chose|picked|set|entered|highlighted|circled|boxed|tagged|labell?ed|coded|scored|rated|annotated)\b)"
)
# "we've hand-labelled a hundred and fifty so far": a count right after a labelling verb, with no noun after it
#: "about", "roughly", "~" between a labelling phrase and its count ("coded ... on about 800")
_ABOUT = r"(?:about |around |roughly |approximately |some |over |nearly |maybe |~)?"
_VERB_BEFORE = re.compile(
    r"\b(?:labell?ed|annotated|tagged|hand[- ]labell?ed|hand[- ]tagged|coded|categori[sz]ed|classified|marked|"
    r"translated|summari[sz]ed|answered|written|wrote|bucketed|sorted|graded|scored|rated|reviewed|done|did|"
    r"produced|condensed|written up|boiled down|paired|collected|filled in|" + _MORE_VERBS + r")\s+(?:about |around |roughly |approximately |only |just |"
    r"some |over |nearly |almost |maybe |~|(?:[\w-]+ )?(?:blocks?|recaps?|summaries|digests|translations|versions|notes|"
    r"write-?ups|reports) for " + _ABOUT + r")?$"
)
_TRAFFIC_VERB = re.compile(r"\b(?:get|gets|receive|receives|handle|handles|process|processes|see|serve|field|"
                           r"answer|come in|arrive|incoming)\b")
# "38k tagged tickets", "eleven thousand translated job posting sections": a labelling word right after the count
_ADJ_AFTER = re.compile(r"^(?:\s+[\w-]+)?\s+(?:hand-?)?(?:translated|annotated|scripted|curated|labell?ed|tagged|approved|answered|rated|"
                        r"reviewed|coded|categori[sz]ed|classified|summari[sz]ed|sorted|bucketed|graded|scored|bilingual|"
                        rf"{_MORE_VERBS})\b")
# "a couple thousand already tagged", "about three hundred have been sorted", "150 of them were tagged", "only 60
# that our team rated": no noun, then a labelling verb (never one the user wants done: "500 that we want tagged")
_VERB_AFTER = re.compile(r"^\s+(?:of (?:them|these|those|which)\s+)?(?:(?:that|which)\s+(?:[\w'-]+\s+){0,3}?)?"
                         r"(?:(?:have|has|had|were|was|are|is)\s+)?(?:been\s+)?(?:already\s+)?(?:hand[- ])?"
                         r"(?:labell?ed|annotated|tagged|sorted|bucketed|coded|categori[sz]ed|classified|translated|"
                         rf"summari[sz]ed|answered|marked|rated|reviewed|{_MORE_VERBS})\b")
# "240 spec sections with approved translations": no data noun, but the count is paired with its outputs
_PAIRED_AFTER = re.compile(r"^(?:\s+[\w-]+){0,3}\s+(?:with|and) (?:their |its |the |approved |reference |human |"
                           r"professional |existing |matching |corresponding |official |signed-off |\w+ ){0,2}"
                           r"(?:translations?|summaries|answers|labels|tags|replies|responses|versions)\b")
# "thousands a day", "tens of thousands of these a day": traffic with no data noun
_BARE_RATE = re.compile(r"^(?:\s+(?!(?:a|an|per|each|every)\b)[a-z'-]+){0,5}?\s+(?:a|an|per|each|every)\s+"
                        r"(?:second|minute|hour|day|week|month)\b|^\s*/(?:day|hour|week)\b")
# "3-line recaps", "two-page digests", "three years of transcripts": a size or a duration, not a count of data
_NOT_A_COUNT = re.compile(r"^\s*(?:-|–|to)\s*[a-z]?\d|^-(?:line|page|word|sentence|paragraph|minute|hour|second|point|part|step|day|"
                          r"week|month|year|column|star)\b|^\s+(?:years?|months?|weeks?|days?|hours?|decades?)(?:'|')?"
                          r"\s+(?:of|worth)\b")
# "postdocs annotated compound names and reaction conditions on 220 notebook pages": labelled, on N items
_VERB_ON = re.compile(r"\b(?:annotated|labell?ed|tagged|marked up|wrote|written|summari[sz]ed|translated|coded|"
                      rf"{_MORE_VERBS})\b"
                      r"[^;:.]{0,80}\b(?:on|for|across|in) " + _ABOUT + "$"
                      # "put a topic on maybe eleven thousand", "the moderator verdict for about 250k", "wrote answers to 150"
                      r"|\b(?:put|set|assigned|added|attached|gave|wrote|written) (?:a |an |the |their )?[\w-]+ "
                      r"(?:\w+ )?(?:on|to|for) " + _ABOUT + "$"
                      r"|\b(?:verdicts?|labels?|decisions?|ratings?|scores?|answers?|summaries|translations?|outcomes?|"
                      r"codes?|tags?) for " + _ABOUT + "$")
# "five thousand of those digests": a count of the outputs themselves is a count of labelled examples
_OUTPUT_NOUN = re.compile(r"^(?:summaries|digests|translations|replies|answers|recaps|briefs|headlines|"
                          r"captions|rewrites|write-?ups|synops[ie]s|headnotes|précis|precis|one-liners)$")
# "only 180 have a summary written by a supervisor": no noun, but the count is said to have its outputs
# "nine hundred of them already start with a TL;DR", "120 of them have brand and size annotated"
_HAS_OUTPUT_AFTER = re.compile(r"^\s+(?:of (?:them|these|those) )?(?:already )?(?:have|has|had|come with|came with|got|"
                               r"start with|begin with|open with) "
                               r"(?:a |an |their |its |the )?(?:\w+ )?(?:summary|summaries|tl;?drs?|labels?|tags?|codes?|"
                               r"answers?|translations?|repl(?:y|ies)|categor(?:y|ies)|scores?|ratings?|notes)\b"
                               r"|^\s+of (?:them|these|those) (?:already )?(?:have|has|had) (?:[\w-]+ ){1,4}?(?:annotated|"
                               r"labell?ed|tagged|marked|filled in)\b")
_UNIT_AFTER = re.compile(r"^\s+(?:languages?|weeks?|days?|months?|years?|hours?|minutes?|seconds?|people|persons|"
                         r"employees|staff|users|customers|members|times|percent|countries|sites|stores|hotels|offices)\b")
_CONTRAST = re.compile(r"\b(?:but|although|though|however|whereas|yet we)\b")
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
    needs_off: dict[str, Quote] = field(default_factory=dict)
    """Needs the user says they do not have ("no privacy concerns"): need -> the words."""


def _negated(low: str, start: int) -> bool:
    """Whether a negation word closely precedes position ``start`` in the same clause."""
    window = re.split(r"[.;!?]|\bbut\b", low[max(0, start - 40):start])[-1]
    return bool(NEGATION.search(window))


def _first(pattern: str, low: str, text: str, negatable: bool = True,
           inside: tuple[tuple[int, int], ...] = ()) -> str | None:
    """The first non-negated match of ``pattern`` outside the ``inside`` spans, quoted from the original text."""
    for m in re.finditer(pattern, low):
        if any(start <= m.start() < end for start, end in inside):
            continue
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


def _word_start(text: str, index: int) -> int:
    """``index`` moved back to the start of the word it falls in (a quote never begins mid-word)."""
    index = max(0, index)
    while index > 0 and (text[index - 1].isalnum() or text[index - 1] in "'-"):
        index -= 1
    return index


def _verb_after(after: str) -> re.Match[str] | None:
    """A labelling verb right after a count that has no noun, unless it is what the user wants done."""
    found = _VERB_AFTER.match(after)
    return None if found is None or DESIRE_WORD.search(found.group(0)) else found


def _takes_over(found: Quote | None, value: float, after: str) -> bool:
    """Whether a count of labelled data replaces the one found before: the larger wins, except that a part of
    the earlier count ("1.5M submissions ... volunteers marked about 9,000 of them") is the labelled part."""
    return found is None or value > (found.value or 0) or bool(re.match(r"\s+of (?:them|these|those)\b", after))


def _own_clause(after: str) -> str:
    """The words after a count, up to another count of the same things ("10k notes ..., and 150 of them were
    tagged": the tagging is said of the 150, not of the 10k)."""
    for other in NUMBER.finditer(after):
        if re.match(r"\s+(?:of (?:them|these|those|which)|(?:have|had|were|are) been)\b", after[other.end():]):
            return after[:other.start()]
    return after


def _read_quantities(low: str, text: str, sig: TextSignals) -> None:
    """Fill labelled / corpus / traffic / label-count quantities from numbers in the text."""
    for m in NUMBER.finditer(low):
        value = quantity_value(m)
        after = re.split(r"[.;!?](?:\s|$)|\n", low[m.end():m.end() + 90])[0]
        if not _DATA_NOUN.match(after) and _LABEL_NOUN.match(after) and 1 < value <= 1000:
            sig.label_count = int(value)
    for m in NUMBER.finditer(low):
        value = quantity_value(m)
        after = re.split(r"[.;!?](?:\s|$)|\n", low[m.end():m.end() + 90])[0]
        before = re.split(r"[.;!?](?:\s|$)|\n", low[max(0, m.start() - 50):m.start()])[-1]
        if _NOT_A_COUNT.match(after):  # "3-line recaps", "three years of transcripts"
            continue
        wide_before = _CONTRAST.split(re.split(r"[.;!?](?:\s|$)|\n", low[max(0, m.start() - 100):m.start()])[-1])[-1]
        noun_m = _DATA_NOUN.match(after)
        if not noun_m and (rate_m := _BARE_RATE.match(after)) and value >= 100 and not _negated(low, m.start()):
            unit = _RATE.search(rate_m.group(0))
            per_day = value * _PER_DAY[(unit.group("unit") or unit.group("slash")) if unit else "day"]
            if sig.traffic is None or per_day > (sig.traffic.value or 0):
                sig.traffic = Quote("traffic", text[m.start():m.end() + rate_m.end()].strip(), per_day)
            continue
        if not noun_m and _PAIRED_AFTER.match(after) and not _LABEL_NOUN.match(after) and \
                not NO_LABELS.search(_CONTRAST.split(after)[0]):
            if _takes_over(sig.labelled, value, after):
                sig.labelled = Quote("labelled", text[m.start():m.end() + _PAIRED_AFTER.match(after).end()].strip(),
                                     value)
            continue
        if not noun_m:
            if _UNIT_AFTER.match(after):  # "written in 20 languages", "a demo in two weeks"
                continue
            verb_after = _verb_after(after) or _HAS_OUTPUT_AFTER.match(after)
            if (_VERB_BEFORE.search(before) or verb_after or
                    _VERB_ON.search(wide_before)) and not _LABEL_NOUN.match(after) and \
                    not _negated(low, m.start()) and \
                    (_takes_over(sig.labelled, value, after)):
                span = (m.start(), m.end() + verb_after.end()) if verb_after else \
                    (_word_start(text, m.start() - 25), m.end())
                sig.labelled = Quote("labelled", text[span[0]:span[1]].strip(), value)
            continue
        noun, noun_stop = noun_m.group("noun"), noun_m.end()
        while extend := _NOUN_EXTEND.match(after[noun_stop:]):
            noun, noun_stop = extend.group("noun"), noun_stop + extend.end()
        noun_end = m.end() + noun_stop
        tail = after[noun_stop:]
        if re.match(r"\s+(?:types|categories|classes|labels|kinds|codes)\b", tail):  # "one of 20 claim types"
            continue
        quote = text[m.start():noun_end].strip()
        rate_after = _RATE.search(re.split(r"\d|\band\b", tail[:40])[0])  # not another number's rate
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
            # "5,000 labelled support tickets a week": a rate of labelled data is labelled data too
            if re.search(r"\b(?:labell?ed|annotated|tagged|hand-labell?ed)\b", low[m.end():noun_end]) and \
                    (_takes_over(sig.labelled, value, after)):
                sig.labelled = Quote("labelled", text[m.start():noun_end].strip(), value)
            continue
        # "10k tickets but only 500 labelled": what follows a "but" is about something else
        context = before + " " + DESIRE_WORD.split(_CONTRAST.split(_own_clause(after))[0])[0]
        labelled = bool(_LABELLED_CUE.search(context)) or noun.startswith(
            ("example", "sample", "pair", "annotation", "triple")) or bool(_OUTPUT_NOUN.match(noun)) or bool(_ADJ_AFTER.match(after)) or bool(
            _VERB_BEFORE.search(before)) or bool(_VERB_ON.search(wide_before))
        labelled = labelled and not DESIRE_BEFORE.search(before)  # "we want 2,000 emails labelled"
        if labelled and not re.search(r"\b(?:un|not |aren'?t )labell?ed\b", context) and not NO_LABELS.search(context):
            if _PER_LABEL.match(tail) and sig.label_count:
                value *= sig.label_count
            if _takes_over(sig.labelled, value, after):
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
    """Detect an enumerated label / entity set such as "billing, refunds, delivery and account".

    Of several lists the best is kept: one with no counted item ("6 vets, 14 nurses" is a headcount), then one
    introduced by a labelling word ("tagged as emergency, same-day or routine"), then the longest.
    """
    best: tuple[bool, bool, int] = (False, False, 0)
    for m in _LIST.finditer(low):
        body = text[m.start(1):m.end(1)]
        if "," not in body and not re.search(r"\b(?:into|as|either|between)\b", low[m.start():m.start(1)]):
            continue
        parts = re.split(r",\s*(?:and |or )?|\s+(?:and|or)\s+", body)
        # the last item runs into the sentence: "... or routine over two years" ends at "routine"
        parts[-1] = re.split(r"\s+(?:over|since|during|until|across|through|within|last|past|each|every|a|the|"
                             r"\d[\d,.]*|two|three|four|five|ten)\b", parts[-1])[0]
        items = []
        for part in parts:
            words = [w.strip("'\"") for w in part.strip().split() if w.lower() not in _ITEM_STOP]
            item = _TRAILING_NOUN.sub("", " ".join(words))
            if item and len(item) <= 30:
                items.append(item)
        rank = (not any(re.search(r"\b\d[\d,.]*\s+[a-z]+s\b", item.lower()) for item in items),
                bool(re.search(r"\b(?:into|as|either|between)\b", low[m.start():m.start(1)])), len(items))
        if len(items) >= 2 and rank > best:
            sig.label_list, best = items, rank
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
    silenced: dict[str, list[tuple[int, int]]] = {}
    for need, pattern in NEEDS_OFF.items():
        spans = [(m.start(), m.end()) for m in re.finditer(pattern, low)]
        if spans:
            sig.needs_off[need] = Quote(need, text[spans[0][0]:spans[0][1]].strip())
            for cue in NEEDS_OFF_CUES[need]:
                silenced.setdefault(cue, []).extend(spans)
    for kind, (pattern, negatable) in CUE_PATTERNS.items():
        quote = _first(pattern, low, text, negatable, tuple(silenced.get(kind, ())))
        if quote:
            sig.cues[kind] = Quote(kind, quote)
    _read_label_list(low, text, sig)
    _read_quantities(low, text, sig)
    no_labels = NO_LABELS.search(low)
    if no_labels and sig.labelled is None:
        sig.labelled = Quote("labelled", text[no_labels.start():no_labels.end()].strip(), 0.0)
    for name, code in LANGUAGE_CODES.items():
        if re.search(rf"\b{name}\b", low) and code not in sig.languages:
            sig.languages.append(code)
    for pair in re.finditer(rf"\b{LANGUAGE_PAIR}\b", low):  # "EN->FR"
        sig.languages.extend(c for c in (pair["source"], pair["target"]) if c not in sig.languages)
    return sig
