"""Generate the synthetic example dataset ``examples/ner_custom_entities.jsonl``.

Named-entity recognition with custom entity types, set in the world of *Northwind Cycles*, a made-up
maker of e-bikes: support messages, workshop notes, release notes and manual sentences in which product
names, parts, error codes, firmware versions, measurements, people, places, dates and order numbers are
tagged. It is written by this project from hand-written templates; it is not real data.

Run ``python examples/make_ner.py`` to rewrite the file next to this script, or pass an output path as
the first argument. The output is byte-identical on every run: everything random comes from one
``random.Random`` seeded with :data:`SEED`. Only the standard library is used.

Each row is one sentence: ``{"tokens": [...], "ner_tags": [...], "split": "train"|"test"}`` with string
BIO tags. Tokens are words and punctuation marks (see :func:`tokenize`). The test split is held out by
template: about a fifth of the templates are used only for test rows, so a test sentence never shares
its skeleton with a training sentence. Sentences are unique after lower-casing and collapsing whitespace,
and no two sentences have a word-3-gram Jaccard similarity of 0.8 or more.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

SEED = 20240718
TRAIN_ROWS = 320
TEST_ROWS = 80
TEST_TEMPLATE_FRACTION = 0.2
NEAR_DUPLICATE_JACCARD = 0.8
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "ner_custom_entities.jsonl"

ENTITY_TYPES = (
    "PRODUCT",
    "PART",
    "ERROR_CODE",
    "VERSION",
    "MEASURE",
    "PERSON",
    "LOCATION",
    "DATE",
    "ORDER_ID",
)

_TOKEN_RE = re.compile(r"\w+(?:[-./']\w+)*|[^\w\s]")
_AN_RE = re.compile(r"[aeiouAEIOU]|8|11$|18$")
_SLOT_RE = re.compile(r"\{([A-Za-z_]+)(?::([a-z_]+))?\}")


class Sentence(NamedTuple):
    """One generated row plus the template it came from (the template id is not written out)."""

    tokens: tuple[str, ...]
    ner_tags: tuple[str, ...]
    split: str
    template_id: str


# --------------------------------------------------------------------------------------------
# Entity values. Upper-case slots are entities; lower-case slots are untagged filler words.
# --------------------------------------------------------------------------------------------

PRODUCTS = (
    "Aero 3",
    "Aero 3 Plus",
    "Northwind Aero 5",
    "Kestrel Cargo",
    "Kestrel Cargo Long",
    "Strada 7",
    "Strada 9",
    "Lark Fold",
    "Nimbus Trail",
    "Harbour City",
    "Northwind Harbour City",
    "Lark Fold Mini",
)
PARTS = {
    "wear": (
        "chain",
        "cassette",
        "brake pad set",
        "rear tyre",
        "front tyre",
        "chainring",
        "brake rotor",
        "inner tube",
        "drive belt",
    ),
    "elec": (
        "display",
        "controller board",
        "speed sensor",
        "torque sensor",
        "charger",
        "battery pack",
        "motor",
        "headlight",
        "charging port",
        "rear light",
        "wiring harness",
    ),
    "mech": (
        "stem",
        "seat post",
        "crank arm",
        "brake caliper",
        "rear derailleur",
        "kickstand",
        "brake lever",
        "handlebar",
        "bottom bracket",
        "rear hub",
        "headset",
    ),
    "carry": ("rear rack", "front basket", "child seat mount", "pannier rail", "front rack"),
}
PARTS["battery"] = ("battery pack", "battery", "spare battery", "frame battery")
PARTS["rack"] = ("rear rack", "pannier rail", "child seat mount")
PARTS["basket"] = ("front basket", "front rack", "handlebar bag mount")
PARTS["slip"] = ("chain", "cassette", "chainring", "drive belt", "rear sprocket")
PARTS["gearing"] = ("cassette", "chainring", "rear derailleur", "rear sprocket")
PARTS["brake"] = ("brake pad set", "brake rotor", "brake caliper", "rear brake")
PARTS["any"] = PARTS["wear"] + PARTS["elec"] + PARTS["mech"]
PARTS["bolted"] = ("stem", "seat post", "crank arm", "brake caliper", "handlebar", "rear rack", "kickstand")
PARTS["noisy"] = (
    "chain",
    "rear derailleur",
    "bottom bracket",
    "rear hub",
    "brake pads",
    "headset",
    "motor",
    "kickstand",
    "brake rotor",
)
PEOPLE = (
    "Anna Keller",
    "Priya Nair",
    "Jonas Weber",
    "Mateo García",
    "Sofia Rossi",
    "Liam Byrne",
    "Yuki Tanaka",
    "Kwame Mensah",
    "Olga Nowak",
    "Hannah Schmidt",
    "Ravi Patel",
    "Chloé Martin",
    "Tomasz",
    "Marta",
    "Declan",
    "Aisha",
    "Lucas Dubois",
    "Grace Adeyemi",
)
LOCATIONS = (
    "Utrecht",
    "Leeds",
    "Graz",
    "Bristol",
    "Lyon",
    "Porto",
    "Malmö",
    "Ghent",
    "Den Haag",
    "San Sebastián",
    "Freiburg",
    "Aarhus",
    "Cork",
    "Bologna",
    "Innsbruck",
    "Bremen",
)
DATES = (
    "12 March",
    "3 May",
    "14 June",
    "2 October",
    "21 November",
    "Monday",
    "Tuesday",
    "Thursday",
    "Friday",
    "Saturday",
    "9 January",
    "28 February",
    "17 July",
    "30 August",
    "5 September",
    "14/06",
    "03/11",
)
MEASURES = {
    "speed": ("25 km/h", "20 km/h", "32 km/h", "18 km/h", "27 km/h", "23 km/h", "15 km/h", "30 km/h"),
    "limit": ("25 km/h", "45 km/h", "20 km/h", "32 km/h"),
    "range_hi": ("90 km", "110 km", "85 km", "100 km", "75 km", "120 km"),
    "range_lo": ("40 km", "35 km", "50 km", "28 km", "45 km", "55 km"),
    "interval": ("3000 km", "1500 km", "5000 km", "2000 km", "4000 km", "2500 km"),
    "short_ride": ("12 km", "7 km", "28 km", "40 km", "15 km", "22 km"),
    "commute": ("12 km", "7 km", "18 km", "22 km", "9 km", "31 km"),
    "test_ride": ("3 km", "5 km", "2 km", "8 km", "4 km"),
    "per_charge": ("30 km", "35 km", "42 km", "25 km", "50 km", "38 km"),
    "long_ride": ("65 km", "90 km", "110 km", "78 km", "54 km", "96 km"),
    "torque": ("5 Nm", "6 Nm", "8 Nm", "12 Nm", "40 Nm", "4.5 Nm", "35 Nm"),
    "pressure": ("2.5 bar", "3 bar", "3.5 bar", "4 bar", "1.8 bar", "4.5 bar", "2.2 bar"),
    "bike_weight": ("18 kg", "23 kg", "27 kg", "25 kg", "31 kg", "21.5 kg"),
    "rider_weight": ("60 kg", "95 kg", "120 kg", "140 kg", "82 kg", "105 kg"),
    "trailer": ("35 kg", "40 kg", "60 kg", "25 kg", "45 kg"),
    "heavy_load": ("25 kg", "27 kg", "35 kg", "40 kg", "30 kg"),
    "light_load": ("5 kg", "7 kg", "10 kg", "15 kg", "3 kg"),
    "low_volt": ("29 V", "30 V", "31.5 V", "39 V", "28.5 V"),
    "charge_cap": ("80%", "65%", "72%", "40%", "90%", "55%"),
    "health": ("80%", "72%", "65%", "58%", "84%"),
    "storage": ("50%", "60%", "40%", "30%", "70%"),
    "drain": ("5%", "8%", "10%", "3%", "12%"),
    "capacity": ("500 Wh", "625 Wh", "400 Wh", "750 Wh", "545 Wh", "800 Wh"),
    "size": ("54 cm", "48 cm", "58 cm", "52 cm", "44 cm", "56 cm", "50 cm"),
    "cold": ("-5 °C", "0 °C", "3 °C", "-10 °C", "-2 °C"),
    "storage_temp": ("10 °C", "15 °C", "5 °C", "12 °C", "18 °C"),
}

FILLERS = {
    "time": (
        "this morning",
        "yesterday",
        "on the way home",
        "twice today",
        "after the last ride",
        "all week",
    ),
    "thanks": ("Thanks a lot", "Thank you so much", "Cheers", "Many thanks", "Great, thanks", "Brilliant"),
    "works": (
        "rides like new",
        "feels smooth again",
        "is working fine",
        "starts normally",
        "shifts cleanly",
        "is quiet again",
    ),
    "weaker": ("weaker", "a bit jerky", "slightly delayed", "less punchy", "uneven"),
    "condition": (
        "it is cold outside",
        "I ride uphill",
        "I carry shopping",
        "I start from a standstill",
        "the road is wet",
    ),
    "when": (
        "for next week",
        "as soon as possible",
        "some time after the holidays",
        "before my summer trip",
        "on a weekday morning",
        "later this month",
    ),
    "service": ("home pick-up", "financing", "a test ride", "a loan bike", "a fitting session", "gift cards"),
    "situation": (
        "live outside the city",
        "bought their bike second hand",
        "ride for work",
        "have a company lease",
        "need a bike quickly",
    ),
    "noise": ("creaks", "rattles", "clicks loudly", "squeaks", "makes a ticking sound", "knocks"),
    "action": (
        "go over cobblestones",
        "pedal hard uphill",
        "brake on a descent",
        "start from a standstill",
        "turn sharply",
        "ride out of the saddle",
    ),
    "context": ("in the busy season", "if the parts are in stock", "during the spring rush", "on average"),
    "verdict": ("really like", "mostly like", "are happy with", "quite like", "appreciate"),
    "feature": ("trip history", "settings", "ride statistics", "route planner", "notifications"),
    "problem": ("hard to find", "slow to load", "confusing", "cluttered", "easy to miss"),
    "group": ("students", "delivery riders", "families buying two bikes", "teachers", "club members"),
    "period": ("this season", "at the moment", "if I trade in my old bike", "around the holidays"),
    "opinion": (
        "it is the best bike I have owned",
        "the ride quality is superb",
        "the support was fantastic",
        "it has changed how I commute",
        "it climbs better than I expected",
    ),
    "recommend": ("happily recommend", "recommend", "definitely recommend", "gladly recommend"),
    "who": (
        "my colleagues",
        "anyone who commutes",
        "my neighbours",
        "friends with a long commute",
        "my family",
    ),
    "where": (
        "at the back door",
        "with a neighbour",
        "out in the rain",
        "outside the garage",
        "in the stairwell",
    ),
    "doc": ("manual", "assembly guide", "warranty terms", "size chart", "service checklist"),
    "purpose": (
        "an older model",
        "the cargo version",
        "the folding version",
        "bikes sold before last year",
        "my husband's bike",
    ),
    "weeks": ("three", "six", "ten", "twelve", "eight", "five"),
    "status": (
        "everything still feels solid",
        "nothing has needed adjusting",
        "I am still impressed",
        "the brakes still bite well",
        "I have not had a single problem",
    ),
    "team_action": (
        "review your photos",
        "check the logs",
        "talk to the workshop",
        "look into this",
        "compare it with similar cases",
    ),
    "deadline": (
        "within two working days",
        "by the end of the week",
        "as soon as we can",
        "tomorrow",
        "early next week",
    ),
    "greeting": ("Hi", "Hello", "Good morning", "Dear team", "Hey"),
    "mode": ("Eco", "Tour", "Sport", "Turbo"),
    "weather": ("in the rain", "in freezing weather", "on gravel", "on a hot day", "with a headwind"),
    "feeling": ("disappointed", "frustrated", "a bit worried", "confused", "annoyed"),
    "duration": ("two days", "a week", "ten days", "three weeks", "a month"),
}


def _error_code(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return f"E-{rng.randint(100, 399)}"
    if kind == 1:
        return f"E-{rng.randint(1, 9):02d}"
    if kind == 2:
        return f"BMS-{rng.randint(10, 48)}"
    if kind == 3:
        return f"W-{rng.randint(1, 19):02d}"
    return f"ERR {rng.randint(10, 99)}"


def _version(rng: random.Random) -> str:
    major, minor, patch = rng.randint(1, 4), rng.randint(0, 9), rng.randint(0, 12)
    kind = rng.randrange(3)
    if kind == 0:
        return f"v{major}.{minor}.{patch}"
    if kind == 1:
        return f"{major}.{minor}.{patch}"
    return f"v{major}.{minor}"


def _order_id(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(6))
    return f"NW-{rng.choice('123456789')}{digits[1:]}" if rng.random() < 0.8 else f"#{digits}"


# --------------------------------------------------------------------------------------------
# Templates. {TYPE} or {TYPE:subtype} is an entity; {filler} is an untagged filler phrase.
# --------------------------------------------------------------------------------------------

TEMPLATES: tuple[str, ...] = (
    # sentences without any entity
    "{thanks}, that fixed it and the bike {works} now.",
    "Is it normal for the assistance to feel {weaker} when {condition}?",
    "I would like to book a service appointment {when}.",
    "Do you offer {service} for customers who {situation}?",
    "The bike {noise} whenever I {action}.",
    "How long does a typical repair take {context}?",
    "We {verdict} the new app, but the {feature} screen is {problem}.",
    "Is there a discount for {group} {period}?",
    "Honestly, {opinion} and I would {recommend} it to {who}.",
    "The courier left the box {where} without knocking.",
    "Where can I find the {doc} for {purpose}?",
    "After {weeks} weeks of daily commuting, {status}.",
    "Our team will {team_action} and get back to you {deadline}.",
    "{greeting}, I have been waiting {duration} for an answer and I am {feeling}.",
    # one or more entities
    "My {PRODUCT} shows {ERROR_CODE} every time I turn it on.",
    "Since the update to {VERSION}, the {PART:elec} on my {PRODUCT} keeps disconnecting.",
    "{PERSON} replaced the {PART:bolted} and torqued the bolts to {MEASURE:torque}.",
    "The {PART:noisy} was making a grinding noise {time}, so I stopped riding.",
    "Can the {PRODUCT} carry two children if the rider weighs {MEASURE:rider_weight}?",
    "Order {ORDER_ID} was supposed to arrive in {LOCATION} on {DATE}.",
    "Firmware {VERSION} fixes the {ERROR_CODE} fault reported by riders in {LOCATION}.",
    "Range dropped from {MEASURE:range_hi} to {MEASURE:range_lo} after the winter.",
    "Technician note: {PART:wear} worn, replaced under warranty, customer {PERSON} informed on {DATE}.",
    "{greeting}, this is {PERSON} from {LOCATION}; my {PRODUCT} will not charge past {MEASURE:charge_cap}.",
    "The {PART} for order {ORDER_ID} arrived cracked.",
    "Error {ERROR_CODE} appears when the {PART:elec} gets wet.",
    "Please update the bike to {VERSION} before testing the {PART:elec}.",
    "According to {PERSON}, the {PART:wear} needs replacing every {MEASURE:interval}.",
    "Do you ship the {PRODUCT} to {LOCATION}?",
    "I picked up my {PRODUCT} from the {LOCATION} store on {DATE}.",
    "Release notes for {VERSION}: improved {PART:elec} calibration and a fix for {ERROR_CODE}.",
    "What tyre pressure do you recommend for the {PRODUCT}, {MEASURE:pressure} or {MEASURE:pressure}?",
    "{ERROR_CODE} means the voltage has dropped below {MEASURE:low_volt} under load.",
    "Workshop log, {DATE}: {PRODUCT}, {PART} adjusted, test ride of {MEASURE:test_ride}, no faults.",
    "My partner and I both bought a {PRODUCT} last spring and hers already needs a new {PART:wear}.",
    "The manual says to tighten the {PART:bolted} bolts to {MEASURE:torque}, is that right?",
    "Could {PERSON} call me about order {ORDER_ID}?",
    "After riding {MEASURE:short_ride} {weather}, the {PART:slip} started slipping.",
    "We are seeing {ERROR_CODE} on several {PRODUCT} bikes in {LOCATION} since {VERSION}.",
    "{PERSON} says the {PART} for the {PRODUCT} is back in stock from {DATE}.",
    "Is the {PART:mech} from the {PRODUCT} compatible with the {PRODUCT}?",
    "The {PART:battery} health check reads {MEASURE:health} after two years, is that still covered?",
    "The bike weighs {MEASURE:bike_weight} without the {PART:carry}, which is too heavy for my car rack.",
    "Reminder: the {PRODUCT} frame recall in {LOCATION} covers bikes built before {DATE}.",
    "Why does the app still say {VERSION} when I installed the update on {DATE}?",
    "Swapped the {PART:elec} and the {PART:elec}, error {ERROR_CODE} is gone.",
    "Top speed with assistance is limited to {MEASURE:limit} by law.",
    "My {PART:brake} squeals on every descent near {LOCATION}.",
    "{PERSON} ({LOCATION}) reported {ERROR_CODE} twice during the test week.",
    "Can I collect order {ORDER_ID} in {LOCATION} instead of having it delivered?",
    "The {PRODUCT} I tested on {DATE} felt much smoother than my old bike.",
    "Before storing the bike at {MEASURE:storage_temp}, charge the {PART:battery} to {MEASURE:storage}.",
    "Status: waiting for a {PART} from the supplier, expected {DATE}.",
    "Does firmware {VERSION} change the assist limit of {MEASURE:limit}?",
    "Attached is a photo of the {PART:mech} showing the crack next to the weld.",
    "The {PRODUCT} in {LOCATION} is showing {ERROR_CODE} and {ERROR_CODE} at the same time.",
    "Hello {PERSON}, your {PRODUCT} is ready for collection.",
    "I commute {MEASURE:commute} each way and a full charge lasts barely two days in {mode} mode.",
    "Installing {VERSION} over {VERSION} may reset the {PART:elec} settings.",
    "Order {ORDER_ID} contains a {PRODUCT} and a spare {PART}.",
    "On {DATE}, {PERSON} and {PERSON} will run the demo day in {LOCATION}.",
    "The {PART:elec} reads {MEASURE:speed} but my phone GPS says {MEASURE:speed}.",
    "Which {PART:gearing} fits the {PRODUCT} if I want a wider gear range?",
    "Our shop in {LOCATION} is closed on {DATE} for stocktaking.",
    "Code {ERROR_CODE} came up after fitting a new {PART:elec}; the old one never threw errors.",
    "{PRODUCT} owners should install {VERSION} before {DATE}.",
    "The pressure was set to {MEASURE:pressure} instead of {MEASURE:pressure}, which explains the flats.",
    "I asked {PERSON} whether the {PRODUCT} can tow a trailer of {MEASURE:trailer}.",
    "Customer in {LOCATION} says the {PART:noisy} rattles above {MEASURE:speed}.",
    "If {ERROR_CODE} returns after the reset, replace the {PART:elec}.",
    "My {PRODUCT} only gets {MEASURE:per_charge} per charge in {mode} mode.",
    "Any idea when the {PRODUCT} will be available in {LOCATION}?",
    "Both {PART:bolted} bolts were loose when I unpacked order {ORDER_ID}.",
    "The {VERSION} beta drains the {PART:battery} faster, around {MEASURE:drain} per hour.",
    "Please send the invoice for order {ORDER_ID} to {PERSON}.",
    "Loan bike for {PERSON} until {DATE}: {PRODUCT}, frame size {MEASURE:size}.",
    "I rode from {LOCATION} to {LOCATION} on a single charge, about {MEASURE:long_ride}.",
    "The {PART:elec} cable is pinched where it enters the frame, which causes {ERROR_CODE}.",
    "{PERSON} fitted a new {PART:wear} and a new {PART:wear} on {DATE}.",
    "Known issue in {VERSION}: {ERROR_CODE} may appear briefly at start-up.",
    "I live in {LOCATION} and want to try the {PRODUCT} before I buy it.",
    "The {PART:rack} is rated for {MEASURE:heavy_load}, the {PART:basket} for {MEASURE:light_load}.",
    "The {PRODUCT} has a {MEASURE:capacity} {PART:battery}; the {PRODUCT} has {MEASURE:capacity}.",
    "Below {MEASURE:cold} the {PART:elec} goes blank and shows {ERROR_CODE} when it wakes up.",
    "I am {feeling}: order {ORDER_ID} was promised for {DATE} and nothing has arrived.",
    "Is a {MEASURE:size} frame right for someone my height, or should I get the {PRODUCT} in {MEASURE:size}?",
)

HOLD_OUT_FREE_TEMPLATES = 3  # entity-free templates reserved for test rows


def tokenize(text: str) -> list[str]:
    """Split text into words (letters/digits, with inner ``-./'``) and single punctuation marks."""
    return _TOKEN_RE.findall(text)


def _draw(slot: str, sub: str | None, rng: random.Random) -> str:
    if slot == "PRODUCT":
        return rng.choice(PRODUCTS)
    if slot == "PART":
        return rng.choice(PARTS[sub or "any"])
    if slot == "ERROR_CODE":
        return _error_code(rng)
    if slot == "VERSION":
        return _version(rng)
    if slot == "MEASURE":
        return rng.choice(MEASURES[sub or "speed"])
    if slot == "PERSON":
        return rng.choice(PEOPLE)
    if slot == "LOCATION":
        return rng.choice(LOCATIONS)
    if slot == "DATE":
        return rng.choice(DATES)
    if slot == "ORDER_ID":
        return _order_id(rng)
    return rng.choice(FILLERS[slot])


def fill(template: str, rng: random.Random) -> tuple[list[str], list[str]]:
    """Fill ``template`` and return its tokens and BIO tags; repeated entity slots get distinct values."""
    tokens: list[str] = []
    tags: list[str] = []
    used: set[str] = set()
    pos = 0
    for match in _SLOT_RE.finditer(template):
        literal = tokenize(template[pos : match.start()])
        tokens.extend(literal)
        tags.extend("O" for _ in literal)
        slot, sub = match.group(1), match.group(2)
        value = _draw(slot, sub, rng)
        for _ in range(20):
            if value not in used:
                break
            value = _draw(slot, sub, rng)
        used.add(value)
        words = tokenize(value)
        tokens.extend(words)
        if slot in ENTITY_TYPES:
            tags.extend([f"B-{slot}"] + [f"I-{slot}"] * (len(words) - 1))
        else:
            tags.extend("O" for _ in words)
        pos = match.end()
    literal = tokenize(template[pos:])
    tokens.extend(literal)
    tags.extend("O" for _ in literal)
    for i in range(len(tokens) - 1):
        if tokens[i] in ("a", "A") and _AN_RE.match(tokens[i + 1]):
            tokens[i] += "n"
    if tokens and tokens[0][0].islower():
        tokens[0] = tokens[0][0].upper() + tokens[0][1:]
    return tokens, tags


def is_valid_bio(tags: Sequence[str]) -> bool:
    """True when every ``I-X`` tag follows a ``B-X`` or ``I-X`` tag."""
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        if tag != "O" and not re.fullmatch(r"[BI]-[A-Z_]+", tag):
            return False
        previous = tag
    return True


def normalise(text: str) -> str:
    """Key used for duplicate detection: lower case with whitespace collapsed."""
    return " ".join(text.lower().split())


def trigrams(text: str) -> frozenset[tuple[str, ...]]:
    """Word 3-grams of the normalised text, used for near-duplicate detection."""
    words = normalise(text).split()
    return frozenset(tuple(words[i : i + 3]) for i in range(len(words) - 2))


def jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """Jaccard similarity of two 3-gram sets (0.0 when both are empty)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def split_templates(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Assign templates to train or test; entity-free and entity templates are split separately."""
    free = [(f"t{i:02d}", t) for i, t in enumerate(TEMPLATES) if not re.search(r"\{[A-Z]", t)]
    tagged = [(f"t{i:02d}", t) for i, t in enumerate(TEMPLATES) if re.search(r"\{[A-Z]", t)]
    rng.shuffle(free)
    rng.shuffle(tagged)
    n_tagged = round(len(TEMPLATES) * TEST_TEMPLATE_FRACTION) - HOLD_OUT_FREE_TEMPLATES
    test = free[:HOLD_OUT_FREE_TEMPLATES] + tagged[:n_tagged]
    train = free[HOLD_OUT_FREE_TEMPLATES:] + tagged[n_tagged:]
    return {"train": sorted(train), "test": sorted(test)}


def generate(seed: int = SEED, train_rows: int = TRAIN_ROWS, test_rows: int = TEST_ROWS) -> list[Sentence]:
    """Generate all sentences deterministically from ``seed``, in the (shuffled) order they are written."""
    rng = random.Random(seed)
    templates = split_templates(rng)
    seen: set[str] = set()
    kept: list[frozenset[tuple[str, ...]]] = []
    sentences: list[Sentence] = []
    for split, count in (("test", test_rows), ("train", train_rows)):
        order = list(templates[split])
        rng.shuffle(order)
        made = turn = 0
        while made < count:
            if turn > 20 * count:
                raise RuntimeError(f"could not make {count} distinct {split} sentences")
            template_id, template = order[turn % len(order)]
            turn += 1
            for _ in range(30):
                tokens, tags = fill(template, rng)
                text = " ".join(tokens)
                if tokens != tokenize(text) or not is_valid_bio(tags):
                    raise AssertionError(f"template {template_id!r} produced inconsistent tokens: {text}")
                key = normalise(text)
                grams = trigrams(text)
                if key in seen or any(jaccard(grams, other) >= NEAR_DUPLICATE_JACCARD for other in kept):
                    continue
                seen.add(key)
                kept.append(grams)
                sentences.append(Sentence(tuple(tokens), tuple(tags), split, template_id))
                made += 1
                break
    rng.shuffle(sentences)
    return sentences


def write_jsonl(sentences: Sequence[Sentence], path: Path) -> None:
    """Write ``sentences`` as UTF-8 JSON lines with the keys tokens, ner_tags and split."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for s in sentences:
            row = {"tokens": list(s.tokens), "ner_tags": list(s.ner_tags), "split": s.split}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the dataset to the given path (default: next to this file)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="JSONL file to write")
    args = parser.parse_args(argv)
    sentences = generate()
    write_jsonl(sentences, args.output)
    print(f"wrote {len(sentences)} rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
