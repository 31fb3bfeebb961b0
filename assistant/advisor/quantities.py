"""Numbers as people write them in a task description: "12,000", "3 000", "1.800", "12k", "1.5M",
"twelve hundred", "two and a half thousand", "a few hundred", "several million".

:data:`NUMBER` finds them and :func:`quantity_value` gives each its value; what a number counts (labelled
examples, traffic, documents) is read by :mod:`assistant.advisor.signals`.
"""

from __future__ import annotations

import re

_WORD_QUANTITIES = {
    "hundreds of thousands": 300_000, "tens of thousands": 30_000, "a few thousand": 3_000,
    "several thousand": 4_000, "a couple of thousand": 2_000, "a couple thousand": 2_000, "a few hundred": 300,
    "half a million": 500_000, "several million": 3_000_000, "a few million": 3_000_000,
    "a couple of million": 2_000_000, "a couple million": 2_000_000, "tens of millions": 30_000_000,
    "hundreds of millions": 300_000_000, "few thousand": 3_000, "a few hundred thousand": 300_000,
    "several hundred thousand": 400_000, "a couple hundred thousand": 200_000, "a couple of hundred thousand": 200_000, "a few dozen": 36,
    "several hundred": 400, "a couple of hundred": 200,
    "a couple hundred": 200, "thousands": 3_000, "hundreds": 300, "millions": 2_000_000, "a million": 1_000_000,
    "a thousand": 1_000, "a hundred": 100, "dozens": 36, "a dozen": 12, "a handful": 5, "a few": 3,
    "a couple": 2, "several": 5, "handful": 5, "lots": 5_000, "plenty": 5_000, "a lot": 5_000, "years' worth": 5_000,
    "ten": 10, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "eighty": 80, "two": 2,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "twelve": 12, "fifteen": 15,
}
_UNITS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"])}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_NUM_WORD = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
#: "eight thousand", "twelve hundred", "a hundred and fifty", "two and a half thousand", "3 000" is below
_COMPOUND = (rf"(?:(?:{_NUM_WORD}|a)(?:[\s-]+(?:and[\s-]+)?(?:{_NUM_WORD}))*[\s-]+(?:and[\s-]+a[\s-]+half[\s-]+)?"
             rf"(?:hundred|thousand|million)(?:[\s-]+(?:and[\s-]+)?(?:{_NUM_WORD}|hundred|thousand)\b)*)")
#: A count in digits ("12,000", "3 000", "1.5M", "12k") or words ("twelve hundred", "a few thousand").
NUMBER = re.compile(
    r"(?<![\w$€£.])(?P<num>\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d.,])|"
    r"\d{1,3}(?:\.\d{3})+(?![\d.,]\d)|\d+(?:\.\d+)?)"
    r"(?:\s*(?P<mult>k|m|mn|thousand|million|billion))?\b(?!%)"
    rf"|\b(?P<compound>{_COMPOUND})\b(?!\s*(?:percent|%))"
    r"|\b(?P<words>" + "|".join(re.escape(w) for w in sorted(_WORD_QUANTITIES, key=len, reverse=True)) + r")\b"
)


def number_from_words(words: str) -> float | None:
    """The value of a number written in words ("twelve hundred" -> 1200, "two and a half thousand" -> 2500)."""
    total, current, seen = 0.0, 0.0, False
    for token in re.findall(r"[a-z]+", words.lower()):
        if token in _UNITS or token in _TENS:
            current += _UNITS.get(token, _TENS.get(token, 0))
            seen = True
        elif token == "half":
            current += 0.5
        elif token == "hundred":
            current = max(current, 1.0) * 100
            seen = True
        elif token in _SCALES:
            total += max(current, 1.0) * _SCALES[token]
            current, seen = 0.0, True
    return total + current if seen else None


_MULT = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "billion": 1e9}


def quantity_value(m: re.Match[str]) -> float:
    """The value of one :data:`NUMBER` match ("12k" -> 12000, "a few hundred" -> 300, "1.800" -> 1800)."""
    if m.group("compound"):
        return number_from_words(m.group("compound")) or 0.0
    if m.group("words"):
        return float(_WORD_QUANTITIES[m.group("words")])
    digits = m.group("num")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):  # "1.800 drill reports", "3.000 paragraph": thousands
        digits = digits.replace(".", "")
    value = float(re.sub(r"[,\s\u00a0\u202f]", "", digits))
    return value * _MULT.get((m.group("mult") or "").lower(), 1.0)
