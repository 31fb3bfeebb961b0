"""Generate the synthetic example dataset ``examples/translation_en_de_support.jsonl``.

English → German translation in a narrow domain: support and repair messages about e-bikes from
*Northwind Cycles*, a made-up manufacturer (maintenance instructions, troubleshooting, warranty and
delivery notices, and customers' own questions). The project wrote every aligned EN/DE template pair;
nothing is copied from a public corpus.

Run ``python examples/make_translation.py`` to rewrite the file next to this script, or pass an output
path as the first argument. The output is byte-identical on every run: everything random comes from one
``random.Random`` seeded with :data:`SEED`. Only the standard library is used.

How the German stays grammatical: slot values are either fixed phrase pairs (with a separate form for
each case where one is needed, e.g. ``einer Stunde`` after ``innerhalb von``) or nouns stored with their
grammatical gender. For nouns the German template names the case, the determiner and an optional
adjective (``{part|acc|indef|neu}`` → ``einen neuen Akku`` / ``eine neue Kette`` / ``ein neues
Display``), and the forms are built from the declension tables below. Preposition + article pairs are
then contracted as German writes them (``an dem`` → ``am``, ``zu der`` → ``zur``). German decimals use
a comma, thousands a full stop; the customer is addressed formally (*Sie*).

The test split is held out by template: about a fifth of the template pairs are used only for test rows.
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

SEED = 20240721
TRAIN_ROWS = 232
TEST_ROWS = 58
TEST_TEMPLATE_FRACTION = 0.2
NEAR_DUPLICATE_JACCARD = 0.8
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "translation_en_de_support.jsonl"


class Noun(NamedTuple):
    """A noun with its English form, German form and German gender (``m``, ``f`` or ``n``)."""

    en: str
    de: str
    gender: str


class Phrase(NamedTuple):
    """A fixed phrase pair; ``forms`` holds extra German forms by name (e.g. ``{"dat": "einer Stunde"}``)."""

    en: str
    de: str
    forms: tuple[tuple[str, str], ...] = ()


class Template(NamedTuple):
    """An aligned English/German template pair and the pool each of its slots draws from."""

    en: str
    de: str
    slots: tuple[tuple[str, str], ...]


class Pair(NamedTuple):
    """One generated row plus the template it came from (the template id is not written out)."""

    en: str
    de: str
    split: str
    template_id: str


def _p(en: str, de: str, **forms: str) -> Phrase:
    return Phrase(en, de, tuple(sorted(forms.items())))


def _t(en: str, de: str, **slots: str) -> Template:
    return Template(en, de, tuple(slots.items()))


# --------------------------------------------------------------------------------------------
# German declension
# --------------------------------------------------------------------------------------------

_GENDERS = {"m": 0, "f": 1, "n": 2}
DEFINITE = {"nom": ("der", "die", "das"), "acc": ("den", "die", "das"), "dat": ("dem", "der", "dem")}
EIN_ENDINGS = {"nom": ("", "e", ""), "acc": ("en", "e", ""), "dat": ("em", "er", "em")}
PRONOUN = {"nom": ("er", "sie", "es"), "acc": ("ihn", "sie", "es"), "dat": ("ihm", "ihr", "ihm")}
RELATIVE = {"nom": ("der", "die", "das"), "acc": ("den", "die", "das"), "dat": ("dem", "der", "dem")}
WEAK_ENDINGS = {"nom": ("e", "e", "e"), "acc": ("en", "e", "e"), "dat": ("en", "en", "en")}
MIXED_ENDINGS = {"nom": ("er", "e", "es"), "acc": ("en", "e", "es"), "dat": ("en", "en", "en")}
EIN_WORDS = {"indef": "ein", "poss": "Ihr", "mein": "mein", "kein": "kein"}
ENGLISH_DETERMINERS = {"the": "the", "poss": "your", "mein": "my", "bare": ""}
_CONTRACTIONS = (
    (re.compile(r"\b([Aa])n dem\b"), r"\1m"),
    (re.compile(r"\b([Ii])n dem\b"), r"\1m"),
    (re.compile(r"\b([Vv])on dem\b"), r"\1om"),
    (re.compile(r"\b([Bb])ei dem\b"), r"\1eim"),
    (re.compile(r"\b([Zz])u dem\b"), r"\1um"),
    (re.compile(r"\b([Zz])u der\b"), r"\1ur"),
    (re.compile(r"\b([Ii])n das\b"), r"\1ns"),
)


def german_noun_phrase(noun: Noun, case: str, det: str, adj: str = "") -> str:
    """Decline ``noun`` in ``case`` with determiner ``det`` (def, indef, poss, mein, kein, pron, rel)."""
    g = _GENDERS[noun.gender]
    if det == "pron":
        return PRONOUN[case][g]
    if det == "rel":
        return RELATIVE[case][g]
    if det == "def":
        article = DEFINITE[case][g]
        adjective = f"{adj}{WEAK_ENDINGS[case][g]} " if adj else ""
    elif det in EIN_WORDS:
        article = EIN_WORDS[det] + EIN_ENDINGS[case][g]
        adjective = f"{adj}{MIXED_ENDINGS[case][g]} " if adj else ""
    else:
        raise ValueError(f"unknown determiner {det!r}")
    return f"{article} {adjective}{noun.de}"


def english_noun_phrase(noun: Noun, det: str, adj: str = "") -> str:
    """English noun phrase with ``the``/``poss``/``mein``/``bare``, or ``a`` (``an`` before a vowel)."""
    words = f"{adj} {noun.en}" if adj else noun.en
    if det == "a":
        return f"{'an' if words[0].lower() in 'aeiou' else 'a'} {words}"
    prefix = ENGLISH_DETERMINERS[det]
    return f"{prefix} {words}" if prefix else words


def contract(text: str) -> str:
    """Apply the standard German preposition + article contractions (an dem → am, zu der → zur…)."""
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text


# --------------------------------------------------------------------------------------------
# Slot pools
# --------------------------------------------------------------------------------------------

N = Noun
PARTS = {
    "chain": N("chain", "Kette", "f"),
    "cassette": N("cassette", "Kassette", "f"),
    "brake disc": N("brake disc", "Bremsscheibe", "f"),
    "rear tyre": N("rear tyre", "Hinterreifen", "m"),
    "front tyre": N("front tyre", "Vorderreifen", "m"),
    "inner tube": N("inner tube", "Schlauch", "m"),
    "chainring": N("chainring", "Kettenblatt", "n"),
    "brake pad": N("brake pad", "Bremsbelag", "m"),
    "display": N("display", "Display", "n"),
    "charger": N("charger", "Ladegerät", "n"),
    "motor": N("motor", "Motor", "m"),
    "battery": N("battery", "Akku", "m"),
    "headlight": N("headlight", "Scheinwerfer", "m"),
    "rear light": N("rear light", "Rücklicht", "n"),
    "speed sensor": N("speed sensor", "Geschwindigkeitssensor", "m"),
    "charging port": N("charging port", "Ladebuchse", "f"),
    "control unit": N("control unit", "Steuergerät", "n"),
    "stem": N("stem", "Vorbau", "m"),
    "handlebar": N("handlebar", "Lenker", "m"),
    "seat post": N("seat post", "Sattelstütze", "f"),
    "saddle": N("saddle", "Sattel", "m"),
    "kickstand": N("kickstand", "Ständer", "m"),
    "crank arm": N("crank arm", "Kurbelarm", "m"),
    "rear rack": N("rear rack", "Gepäckträger", "m"),
    "mudguard": N("mudguard", "Schutzblech", "n"),
    "brake lever": N("brake lever", "Bremshebel", "m"),
    "bell": N("bell", "Klingel", "f"),
    "rear derailleur": N("rear derailleur", "Schaltwerk", "n"),
    "pedal": N("pedal", "Pedal", "n"),
    "bottom bracket": N("bottom bracket", "Tretlager", "n"),
    "rear hub": N("rear hub", "Hinterradnabe", "f"),
    "headset": N("headset", "Steuersatz", "m"),
    "rear wheel": N("rear wheel", "Hinterrad", "n"),
    "front wheel": N("front wheel", "Vorderrad", "n"),
    "child seat": N("child seat", "Kindersitz", "m"),
    "front basket": N("front basket", "Frontkorb", "m"),
    "phone holder": N("phone holder", "Handyhalterung", "f"),
    "mirror": N("mirror", "Rückspiegel", "m"),
    "trailer hitch": N("trailer hitch", "Anhängerkupplung", "f"),
    "bottle cage": N("bottle cage", "Flaschenhalter", "m"),
    "frame lock": N("frame lock", "Rahmenschloss", "n"),
}


def _parts(*names: str) -> tuple[Noun, ...]:
    return tuple(PARTS[n] for n in names)


PRODUCTS = tuple(
    N(name, name, "n")
    for name in ("Aero 3", "Aero 5", "Kestrel Cargo", "Strada 7", "Strada 9", "Lark Fold", "Nimbus Trail")
)
BUTTONS = (
    N("plus button", "Plus-Taste", "f"),
    N("minus button", "Minus-Taste", "f"),
    N("power button", "Ein-/Aus-Taste", "f"),
    N("light button", "Lichttaste", "f"),
)
WEEKDAYS = tuple(
    _p(en, de)
    for en, de in (
        ("Monday", "Montag"),
        ("Tuesday", "Dienstag"),
        ("Wednesday", "Mittwoch"),
        ("Thursday", "Donnerstag"),
        ("Friday", "Freitag"),
        ("Saturday", "Samstag"),
    )
)
DATES = tuple(
    _p(en, de)
    for en, de in (
        ("14 May", "14. Mai"),
        ("3 June", "3. Juni"),
        ("21 March", "21. März"),
        ("2 October", "2. Oktober"),
        ("9 July", "9. Juli"),
        ("28 February", "28. Februar"),
        ("17 September", "17. September"),
        ("5 December", "5. Dezember"),
    )
)
TIMES = tuple(
    _p(en, de)
    for en, de in (
        ("09:30", "9:30 Uhr"),
        ("14:00", "14:00 Uhr"),
        ("11:15", "11:15 Uhr"),
        ("16:45", "16:45 Uhr"),
        ("08:00", "8:00 Uhr"),
        ("13:30", "13:30 Uhr"),
    )
)
CITIES = tuple(
    _p(en, de)
    for en, de in (
        ("Utrecht", "Utrecht"),
        ("Ghent", "Gent"),
        ("Graz", "Graz"),
        ("Freiburg", "Freiburg"),
        ("Bremen", "Bremen"),
        ("Lyon", "Lyon"),
        ("Leeds", "Leeds"),
        ("Aarhus", "Aarhus"),
    )
)
NAMES = tuple(
    _p(n, n) for n in ("Anna", "Jonas", "Priya", "Mateo", "Sofia", "Liam", "Yuki", "Hannah", "Ravi")
)


def _nums(*pairs: tuple[str, str]) -> tuple[Phrase, ...]:
    return tuple(_p(en, de) for en, de in pairs)


POOLS: dict[str, tuple[Noun | Phrase, ...]] = {
    "wear": _parts("chain", "cassette", "brake pad", "chainring", "rear tyre", "front tyre", "brake disc"),
    "elec": _parts(
        "display",
        "charger",
        "motor",
        "battery",
        "headlight",
        "rear light",
        "speed sensor",
        "charging port",
        "control unit",
    ),
    "mech": _parts(
        "stem",
        "handlebar",
        "seat post",
        "saddle",
        "kickstand",
        "crank arm",
        "rear rack",
        "mudguard",
        "brake lever",
        "rear derailleur",
    ),
    "any": tuple(
        PARTS[n]
        for n in (
            "chain",
            "cassette",
            "brake pad",
            "rear tyre",
            "display",
            "charger",
            "motor",
            "battery",
            "headlight",
            "speed sensor",
            "stem",
            "handlebar",
            "seat post",
            "saddle",
            "kickstand",
            "crank arm",
            "rear rack",
            "rear derailleur",
            "pedal",
            "brake lever",
        )
    ),
    "bolted": _parts(
        "stem",
        "handlebar",
        "seat post",
        "crank arm",
        "rear rack",
        "kickstand",
        "brake lever",
        "pedal",
    ),
    "cleanable": _parts("chain", "cassette", "chainring", "display", "rear rack", "mudguard", "saddle"),
    "noisy": _parts(
        "chain",
        "rear derailleur",
        "pedal",
        "crank arm",
        "kickstand",
        "motor",
        "rear rack",
        "brake disc",
        "bottom bracket",
        "headset",
    ),
    "removable": _parts("battery", "display", "front basket", "child seat", "phone holder"),
    "carry_on": _parts("charger", "battery", "display"),
    "sealed": _parts("motor", "bottom bracket", "battery", "display", "charging port", "rear hub", "headset"),
    "warm": _parts("motor", "battery", "brake disc", "charger"),
    "accessory": _parts(
        "child seat",
        "front basket",
        "phone holder",
        "mirror",
        "trailer hitch",
        "bottle cage",
        "frame lock",
    ),
    "wheel": _parts("rear wheel", "front wheel"),
    "product": PRODUCTS,
    "button": BUTTONS,
    "day": WEEKDAYS,
    "date": DATES,
    "time": TIMES,
    "city": CITIES,
    "name": NAMES,
    "code": tuple(_p(c, c) for c in ("E-10", "E-21", "E-30", "E-214", "W-05", "E-118", "BMS-12", "W-13")),
    "pressure_lo": _nums(
        ("1.8 bar", "1,8 bar"), ("2 bar", "2 bar"), ("2.5 bar", "2,5 bar"), ("2.2 bar", "2,2 bar")
    ),
    "pressure_hi": _nums(
        ("3.5 bar", "3,5 bar"), ("4 bar", "4 bar"), ("4.5 bar", "4,5 bar"), ("3.8 bar", "3,8 bar")
    ),
    "pressure_flat": _nums(
        ("1.2 bar", "1,2 bar"), ("1.5 bar", "1,5 bar"), ("0.8 bar", "0,8 bar"), ("1 bar", "1 bar")
    ),
    "torque": _nums(
        ("5 Nm", "5 Nm"), ("6 Nm", "6 Nm"), ("4.5 Nm", "4,5 Nm"), ("8 Nm", "8 Nm"), ("12 Nm", "12 Nm")
    ),
    "interval": _nums(
        ("1,000 km", "1.000 km"),
        ("1,500 km", "1.500 km"),
        ("2,000 km", "2.000 km"),
        ("3,000 km", "3.000 km"),
        ("5,000 km", "5.000 km"),
    ),
    "first_service": _nums(("300 km", "300 km"), ("500 km", "500 km"), ("400 km", "400 km")),
    "test_ride": _nums(("5 km", "5 km"), ("12 km", "12 km"), ("8 km", "8 km"), ("20 km", "20 km")),
    "gap": _nums(
        ("5 mm", "5 mm"), ("10 mm", "10 mm"), ("15 mm", "15 mm"), ("12 mm", "12 mm"), ("8 mm", "8 mm")
    ),
    "thickness": _nums(("1 mm", "1 mm"), ("0.5 mm", "0,5 mm"), ("0.8 mm", "0,8 mm"), ("1.2 mm", "1,2 mm")),
    "speed": _nums(("25 km/h", "25 km/h"), ("45 km/h", "45 km/h")),
    "temp": _nums(("0 °C", "0 °C"), ("5 °C", "5 °C"), ("-5 °C", "-5 °C"), ("3 °C", "3 °C")),
    "temp_range": _nums(
        ("10 to 20 °C", "10 bis 20 °C"),
        ("15 to 25 °C", "15 bis 25 °C"),
        ("5 to 20 °C", "5 bis 20 °C"),
        ("10 to 25 °C", "10 bis 25 °C"),
    ),
    "weight": _nums(
        ("23 kg", "23 kg"),
        ("19.5 kg", "19,5 kg"),
        ("27 kg", "27 kg"),
        ("31 kg", "31 kg"),
        ("24.8 kg", "24,8 kg"),
    ),
    "load": _nums(
        ("25 kg", "25 kg"), ("27 kg", "27 kg"), ("35 kg", "35 kg"), ("40 kg", "40 kg"), ("20 kg", "20 kg")
    ),
    "percent": _nums(
        ("30 percent", "30 Prozent"),
        ("40 percent", "40 Prozent"),
        ("50 percent", "50 Prozent"),
        ("60 percent", "60 Prozent"),
    ),
    "shown_percent": _nums(
        ("20 percent", "20 Prozent"),
        ("45 percent", "45 Prozent"),
        ("60 percent", "60 Prozent"),
        ("35 percent", "35 Prozent"),
        ("70 percent", "70 Prozent"),
    ),
    "price": _nums(
        ("€89", "89 €"),
        ("€45", "45 €"),
        ("€129.90", "129,90 €"),
        ("€64.50", "64,50 €"),
        ("€210", "210 €"),
        ("€34.95", "34,95 €"),
    ),
    "height": tuple(
        _p(en, de, size=s)
        for en, de, s in (
            ("1.58 m", "1,58 m", "S"),
            ("1.65 m", "1,65 m", "S"),
            ("1.72 m", "1,72 m", "M"),
            ("1.78 m", "1,78 m", "M"),
            ("1.84 m", "1,84 m", "L"),
            ("1.92 m", "1,92 m", "XL"),
        )
    ),
    "version": tuple(_p(v, v) for v in ("4.2.1", "4.3.0", "3.9.2", "5.0.1", "4.4.3")),
    "order": (),  # drawn by _order_number
    "charge_time": _nums(
        ("about four hours", "etwa vier Stunden"),
        ("about five hours", "etwa fünf Stunden"),
        ("three to four hours", "drei bis vier Stunden"),
        ("up to six hours", "bis zu sechs Stunden"),
    ),
    "update_time": _nums(
        ("ten minutes", "zehn Minuten"),
        ("15 minutes", "15 Minuten"),
        ("20 minutes", "20 Minuten"),
        ("half an hour", "eine halbe Stunde"),
    ),
    "dry_time": _nums(
        ("24 hours", "24 Stunden"),
        ("a few hours", "einige Stunden"),
        ("at least an hour", "mindestens eine Stunde"),
        ("a whole day", "einen ganzen Tag"),
    ),
    "red_time": _nums(
        ("eight hours", "acht Stunden"), ("ten hours", "zehn Stunden"), ("twelve hours", "zwölf Stunden")
    ),
    "idle_time": tuple(
        _p(en, de, dat=dat)
        for en, de, dat in (
            ("five minutes", "fünf Minuten", "fünf Minuten"),
            ("ten minutes", "zehn Minuten", "zehn Minuten"),
            ("one minute", "eine Minute", "einer Minute"),
            ("15 minutes", "15 Minuten", "15 Minuten"),
            ("half an hour", "eine halbe Stunde", "einer halben Stunde"),
        )
    ),
    "count": _nums(
        ("two", "zwei"), ("three", "drei"), ("four", "vier"), ("five", "fünf"), ("seven", "sieben")
    ),
    "days": _nums(("two", "zwei"), ("three", "drei"), ("five", "fünf"), ("ten", "zehn"), ("twelve", "zwölf")),
    "seconds": _nums(("two", "zwei"), ("three", "drei"), ("five", "fünf"), ("ten", "zehn")),
    "mode": tuple(_p(m, m) for m in ("Eco", "Tour", "Sport", "Turbo")),
    "range_condition": _nums(
        ("in cold weather", "bei kaltem Wetter"),
        ("on steep climbs", "an steilen Anstiegen"),
        ("with a heavy load", "mit schwerer Beladung"),
        ("in strong headwinds", "bei starkem Gegenwind"),
    ),
    "ride_condition": _nums(
        ("in the rain", "im Regen"),
        ("in the snow", "im Schnee"),
        ("on gravel roads", "auf Schotterwegen"),
        ("through deep puddles", "durch tiefe Pfützen"),
        ("on the beach", "am Strand"),
    ),
    "error_situation": tuple(
        _p(en, de, dat=dat)
        for en, de, dat in (
            ("the last update", "das letzte Update", "dem letzten Update"),
            ("a ride in heavy rain", "eine Fahrt im Starkregen", "einer Fahrt im Starkregen"),
            ("a fall", "ein Sturz", "einem Sturz"),
            ("a battery change", "ein Akkuwechsel", "einem Akkuwechsel"),
            ("a long climb", "eine lange Bergfahrt", "einer langen Bergfahrt"),
        )
    ),
    "since": _nums(
        ("last week", "letzter Woche"),
        ("the last service", "der letzten Inspektion"),
        ("Monday", "Montag"),
        ("my last ride", "meiner letzten Fahrt"),
        ("the winter", "dem Winter"),
    ),
    "cleaner": tuple(
        _p(en, de, acc=acc)
        for en, de, acc in (
            ("a soft brush", "einer weichen Bürste", "eine weiche Bürste"),
            ("a dry cloth", "einem trockenen Tuch", "ein trockenes Tuch"),
            ("a damp cloth", "einem feuchten Tuch", "ein feuchtes Tuch"),
            ("a sponge", "einem Schwamm", "einen Schwamm"),
        )
    ),
    "tool": _nums(
        ("a 4 mm Allen key", "einen 4-mm-Innensechskantschlüssel"),
        ("a 5 mm Allen key", "einen 5-mm-Innensechskantschlüssel"),
        ("a T25 Torx key", "einen Torx-Schlüssel T25"),
        ("a 15 mm spanner", "einen 15er-Maulschlüssel"),
        ("a torque wrench", "einen Drehmomentschlüssel"),
    ),
    "transport": _nums(
        ("on a car rack", "auf einem Fahrradträger"),
        ("by train", "mit dem Zug"),
        ("in a van", "in einem Transporter"),
        ("on a ferry", "auf einer Fähre"),
    ),
    "contact": _nums(
        ("our workshop", "unsere Werkstatt"),
        ("your dealer", "Ihren Händler"),
        ("our support team", "unser Support-Team"),
        ("us", "uns"),
    ),
    "claim_status": _nums(
        ("has been approved", "wurde genehmigt"),
        ("has been forwarded to the manufacturer", "wurde an den Hersteller weitergeleitet"),
        ("is currently being reviewed", "wird derzeit geprüft"),
    ),
    "damage_cause": _nums(
        ("a fall", "einen Sturz"),
        ("a pressure washer", "einen Hochdruckreiniger"),
        ("incorrect charging", "falsches Laden"),
        ("a transport accident", "einen Transportunfall"),
        ("frost", "Frost"),
        ("modifications to the motor", "Änderungen am Motor"),
    ),
    "booking": _nums(
        ("at any of our stores", "in jeder unserer Filialen"),
        ("online", "online"),
        ("by phone", "telefonisch"),
        ("through the app", "über die App"),
    ),
    "direction": _nums(("clockwise", "im Uhrzeigersinn"), ("anticlockwise", "gegen den Uhrzeigersinn")),
    "turn": _nums(
        ("a quarter turn", "eine Vierteldrehung"),
        ("half a turn", "eine halbe Umdrehung"),
        ("a full turn", "eine ganze Umdrehung"),
    ),
    "screen": _nums(
        ("the app", "die App"), ("the display", "das Display"), ("the remote", "die Fernbedienung")
    ),
    "before_what": tuple(
        _p(en, de)
        for en, de in (
            ("the update", "dem Update"),
            ("the firmware update", "dem Firmware-Update"),
            ("a long ride", "einer langen Fahrt"),
            ("the diagnosis", "der Diagnose"),
        )
    ),
    "warm_after": _nums(
        ("a long climb", "einer langen Bergfahrt"),
        ("charging", "dem Laden"),
        ("a fast descent", "einer schnellen Abfahrt"),
        ("an hour in Turbo mode", "einer Stunde im Turbo-Modus"),
    ),
    "gear_test": _nums(
        ("test the gears again", "testen Sie die Schaltung erneut"),
        ("shift through all gears", "schalten Sie einmal durch alle Gänge"),
        ("check whether the noise is gone", "prüfen Sie, ob das Geräusch verschwunden ist"),
    ),
}


def _order_number(rng: random.Random) -> Phrase:
    number = f"NW-{rng.randint(100000, 999999)}"
    return _p(number, number)


# --------------------------------------------------------------------------------------------
# Templates: {slot|args}. English nouns take (the|poss|mein|a|bare)[|adj]; German nouns take
# case|det[|adj]; phrases take an optional form name. Sentence-initial letters are capitalised.
# --------------------------------------------------------------------------------------------

TEMPLATES: tuple[Template, ...] = (
    _t(
        "Check the tyre pressure before every ride; it should be between {lo} and {hi}.",
        "Prüfen Sie vor jeder Fahrt den Reifendruck; er sollte zwischen {lo} und {hi} liegen.",
        lo="pressure_lo",
        hi="pressure_hi",
    ),
    _t(
        "Tighten {part|the} to {torque} with a torque wrench.",
        "Ziehen Sie {part|acc|def} mit einem Drehmomentschlüssel auf {torque} an.",
        part="bolted",
        torque="torque",
    ),
    _t(
        "Clean {part|the} with {tool} and let it dry completely.",
        "Reinigen Sie {part|acc|def} mit {tool} und lassen Sie {part|acc|pron} vollständig trocknen.",
        part="cleanable",
        tool="cleaner",
    ),
    _t(
        "Replace {part|the} every {km} or as soon as it shows clear signs of wear.",
        "Tauschen Sie {part|acc|def} alle {km} aus oder sobald {part|nom|pron} deutliche Verschleißspuren "
        "zeigt.",
        part="wear",
        km="interval",
    ),
    _t(
        "If error {code} appears on the display of your {product|bare}, switch the system off and on again.",
        "Wenn auf dem Display Ihres {product|bare} der Fehler {code} erscheint, schalten Sie das System "
        "aus und "
        "wieder ein.",
        code="code",
        product="product",
    ),
    _t(
        "Press and hold {button|the} for {sec} seconds.",
        "Halten Sie {button|acc|def} {sec} Sekunden lang gedrückt.",
        button="button",
        sec="seconds",
    ),
    _t(
        "Charge the battery to about {pct} and store it over the winter at {temps}.",
        "Laden Sie den Akku auf etwa {pct} auf und lagern Sie ihn über den Winter bei {temps}.",
        pct="percent",
        temps="temp_range",
    ),
    _t(
        "Never charge the battery of your {product|bare} at temperatures below {temp}.",
        "Laden Sie den Akku Ihres {product|bare} niemals bei Temperaturen unter {temp}.",
        product="product",
        temp="temp",
    ),
    _t(
        "A full charge of the {product|bare} battery takes {time}, depending on the charger.",
        "Eine vollständige Ladung des Akkus dauert beim {product|bare} je nach Ladegerät {time}.",
        product="product",
        time="charge_time",
    ),
    _t(
        "{product|poss} is ready for collection at our workshop in {city}.",
        "{product|nom|poss} steht in unserer Werkstatt in {city} zur Abholung bereit.",
        product="product",
        city="city",
    ),
    _t(
        "We have booked your service appointment for {day} at {time}.",
        "Wir haben Ihren Servicetermin für {day} um {time} gebucht.",
        day="day",
        time="time",
    ),
    _t(
        "Please bring {part|the} and the key for the battery lock to your appointment on {day}.",
        "Bitte bringen Sie zu Ihrem Termin am {day} {part|acc|def} und den Schlüssel für das Akkuschloss "
        "mit.",
        part="carry_on",
        day="day",
    ),
    _t(
        "The motor of the {product|bare} assists you up to a speed of {speed}.",
        "Der Motor des {product|bare} unterstützt Sie bis zu einer Geschwindigkeit von {speed}.",
        product="product",
        speed="speed",
    ),
    _t(
        "In {mode} mode the range is noticeably lower, especially {cond}.",
        "Im {mode}-Modus ist die Reichweite spürbar geringer, besonders {cond}.",
        mode="mode",
        cond="range_condition",
    ),
    _t(
        "The warranty does not cover {part|a} that has been opened or modified.",
        "Die Garantie gilt nicht für {part|acc|indef}, {part|nom|rel} geöffnet oder verändert wurde.",
        part="elec",
    ),
    _t(
        "Your new {part|bare} has been shipped and should arrive within {n} working days.",
        "{part|nom|poss|neu} wurde versandt und sollte innerhalb von {n} Werktagen ankommen.",
        part="any",
        n="count",
    ),
    _t(
        "Order {order} will be delivered on {date}.",
        "Die Bestellung {order} wird am {date} geliefert.",
        order="order",
        date="date",
    ),
    _t(
        "Can I ride my {product|bare} {cond}?",
        "Kann ich mit meinem {product|bare} {cond} fahren?",
        product="product",
        cond="ride_condition",
    ),
    _t(
        "My display shows error {code} after {sit}.",
        "Mein Display zeigt nach {sit|dat} den Fehler {code} an.",
        code="code",
        sit="error_situation",
    ),
    _t(
        "{part|mein} has been making a clicking noise since {since}.",
        "{part|nom|mein} macht seit {since} ein klickendes Geräusch.",
        part="noisy",
        since="since",
    ),
    _t(
        "How often should I check {part|the} on my {product|bare}?",
        "Wie oft sollte ich {part|acc|def} an meinem {product|bare} prüfen?",
        part="wear",
        product="product",
    ),
    _t(
        "Does {part|the} from the {product|bare} also fit the {other|bare}?",
        "Passt {part|nom|def} vom {product|bare} auch an das {other|bare}?",
        part="any",
        product="product",
        other="product",
    ),
    _t(
        "Remove {part|the} before transporting the bike {how}.",
        "Nehmen Sie {part|acc|def} ab, bevor Sie das Rad {how} transportieren.",
        part="removable",
        how="transport",
    ),
    _t(
        "On the {product|bare}, the rear rack can carry up to {load}.",
        "Beim {product|bare} trägt der Gepäckträger bis zu {load}.",
        product="product",
        load="load",
    ),
    _t(
        "For a rider who is {h} tall, we recommend frame size {h|size}.",
        "Bei einer Körpergröße von {h} empfehlen wir die Rahmengröße {h|size}.",
        h="height",
    ),
    _t(
        "Do not use a pressure washer, because water can get into {part|the}.",
        "Verwenden Sie keinen Hochdruckreiniger, da sonst Wasser in {part|acc|def} eindringen kann.",
        part="sealed",
    ),
    _t(
        "{product|poss} is due for its first service after {km}.",
        "{product|nom|poss} ist nach {km} zur ersten Inspektion fällig.",
        product="product",
        km="first_service",
    ),
    _t(
        "We could not reproduce the fault with {part|the} during a test ride of {km}.",
        "Bei einer Probefahrt über {km} konnten wir den Fehler an {part|dat|def} nicht reproduzieren.",
        part="elec",
        km="test_ride",
    ),
    _t(
        "The firmware update for the {product|bare} takes about {time} and must not be interrupted.",
        "Das Firmware-Update für das {product|bare} dauert etwa {time} und darf nicht unterbrochen werden.",
        product="product",
        time="update_time",
    ),
    _t(
        "Make sure the battery is charged to at least {pct} before {what}.",
        "Stellen Sie sicher, dass der Akku vor {what} zu mindestens {pct} geladen ist.",
        pct="percent",
        what="before_what",
    ),
    _t(
        "{part|the} on your {product|bare} is worn and should be replaced soon.",
        "{part|nom|def} an Ihrem {product|bare} ist verschlissen und sollte bald ersetzt werden.",
        part="wear",
        product="product",
    ),
    _t(
        "We recommend replacing {part|the} and {other|the} at the same time.",
        "Wir empfehlen, {part|acc|def} und {other|acc|def} gleichzeitig zu ersetzen.",
        part="wear",
        other="wear",
    ),
    _t(
        "A new {part|bare} costs {price} including fitting.",
        "{part|nom|indef|neu} kostet inklusive Einbau {price}.",
        part="any",
        price="price",
    ),
    _t(
        "Thank you for your patience: we have ordered a new {part|bare} for your {product|bare}.",
        "Vielen Dank für Ihre Geduld: Wir haben {part|acc|indef|neu} für Ihr {product|bare} bestellt.",
        part="any",
        product="product",
    ),
    _t(
        "If the charger LED stays red for more than {time}, unplug the charger and contact {who}.",
        "Wenn die LED am Ladegerät länger als {time} rot leuchtet, ziehen Sie den Stecker und kontaktieren "
        "Sie {who}.",
        time="red_time",
        who="contact",
    ),
    _t(
        "On the {product|bare}, the spoke magnet must be within {gap} of the speed sensor.",
        "Beim {product|bare} darf der Speichenmagnet höchstens {gap} vom Geschwindigkeitssensor entfernt "
        "sein.",
        product="product",
        gap="gap",
    ),
    _t(
        "Please send us a photo of {part|the} and of the frame number of your {product|bare}.",
        "Bitte senden Sie uns ein Foto von {part|dat|def} und von der Rahmennummer Ihres {product|bare}.",
        part="any",
        product="product",
    ),
    _t(
        "Unfortunately, we cannot remove the {speed} limit on your {product|bare}, as this is not legal "
        "on public roads.",
        "Leider können wir die Begrenzung auf {speed} bei Ihrem {product|bare} nicht aufheben, da dies im "
        "Straßenverkehr nicht erlaubt ist.",
        speed="speed",
        product="product",
    ),
    _t(
        "Store {product|poss} in a dry place at {temps}.",
        "Lagern Sie {product|acc|poss} an einem trockenen Ort bei {temps}.",
        product="product",
        temps="temp_range",
    ),
    _t(
        "Our workshop in {city} is closed on {day} for stocktaking.",
        "Unsere Werkstatt in {city} ist am {day} wegen Inventur geschlossen.",
        city="city",
        day="day",
    ),
    _t(
        "You can book a test ride on the {product|bare} {where}.",
        "Eine Probefahrt mit dem {product|bare} können Sie {where} buchen.",
        product="product",
        where="booking",
    ),
    _t(
        "The brake pads on {wheel|the} are worn down to {mm} and must be replaced.",
        "Die Bremsbeläge an {wheel|dat|def} sind auf {mm} abgenutzt und müssen ersetzt werden.",
        wheel="wheel",
        mm="thickness",
    ),
    _t(
        "Turn the barrel adjuster {turn} {dir} and {test}.",
        "Drehen Sie die Einstellschraube um {turn} {dir} und {test}.",
        turn="turn",
        dir="direction",
        test="gear_test",
    ),
    _t(
        "Your warranty claim for {part|the} {status}.",
        "Ihr Garantieantrag für {part|acc|def} {status}.",
        part="any",
        status="claim_status",
    ),
    _t(
        "Unfortunately, damage caused by {cause} is not covered by the warranty on your {product|bare}.",
        "Leider sind Schäden durch {cause} nicht von der Garantie für Ihr {product|bare} abgedeckt.",
        cause="damage_cause",
        product="product",
    ),
    _t(
        "The {product|bare} weighs {kg} including the battery.",
        "Das {product|bare} wiegt mit Akku {kg}.",
        product="product",
        kg="weight",
    ),
    _t(
        "Can I fit {acc|a} to my {product|bare}?",
        "Kann ich {acc|acc|indef} an meinem {product|bare} montieren?",
        acc="accessory",
        product="product",
    ),
    _t(
        "I would like to return my {product|bare}; it was delivered {n} days ago.",
        "Ich möchte mein {product|bare} zurückgeben; es wurde vor {n} Tagen geliefert.",
        product="product",
        n="days",
    ),
    _t(
        "When will my order {order} be shipped?",
        "Wann wird meine Bestellung {order} versandt?",
        order="order",
    ),
    _t(
        "{screen} shows {pct} battery, but the bike switches off after a few kilometres.",
        "{screen} zeigt {pct} Akkuladung an, aber das Rad schaltet sich nach wenigen Kilometern ab.",
        screen="screen",
        pct="shown_percent",
    ),
    _t(
        "Since the update to version {v}, my {product|bare} no longer connects to the app.",
        "Seit dem Update auf Version {v} verbindet sich mein {product|bare} nicht mehr mit der App.",
        v="version",
        product="product",
    ),
    _t(
        "The cable to {part|the} was pinched and has been replaced free of charge.",
        "Das Kabel zu {part|dat|def} war eingeklemmt und wurde kostenlos ersetzt.",
        part="elec",
    ),
    _t(
        "Please allow {n} working days for the inspection of your returned {product|bare}.",
        "Bitte rechnen Sie mit {n} Werktagen für die Prüfung Ihres zurückgesendeten {product|bare}.",
        n="count",
        product="product",
    ),
    _t(
        "We have found a crack in {part|the} and advise you not to ride the bike until it has been replaced.",
        "Wir haben einen Riss in {part|dat|def} gefunden und raten Ihnen, das Rad nicht zu fahren, bis "
        "{part|nom|pron} ersetzt wurde.",
        part="mech",
    ),
    _t(
        "Switch off the system before you remove {part|the}.",
        "Schalten Sie das System aus, bevor Sie {part|acc|def} abnehmen.",
        part="removable",
    ),
    _t(
        "Is it normal for {part|the} to get warm after {after}?",
        "Ist es normal, dass {part|nom|def} nach {after} warm wird?",
        part="warm",
        after="warm_after",
    ),
    _t(
        "My {product|bare} was delivered with a damaged {part|bare}.",
        "Mein {product|bare} wurde mit {part|dat|indef|beschädigt} geliefert.",
        product="product",
        part="any",
    ),
    _t(
        "Could you check whether {part|the} is still under warranty?",
        "Könnten Sie prüfen, ob {part|nom|def} noch unter die Garantie fällt?",
        part="any",
    ),
    _t(
        "On the {product|bare}, the display switches itself off after {idle} without movement.",
        "Beim {product|bare} schaltet sich das Display nach {idle|dat} ohne Bewegung automatisch aus.",
        product="product",
        idle="idle_time",
    ),
    _t(
        "Thank you, {name}; we will call you back on {day}.",
        "Vielen Dank, {name}; wir rufen Sie am {day} zurück.",
        name="name",
        day="day",
    ),
    _t(
        "Hello {name}, your repair is finished and you can collect the bike today from {time}.",
        "Hallo {name}, Ihre Reparatur ist abgeschlossen, und Sie können das Rad heute ab {time} abholen.",
        name="name",
        time="time",
    ),
    _t(
        "Apply one drop of lubricant to each chain link and wipe off the excess with {tool}.",
        "Geben Sie auf jedes Kettenglied einen Tropfen Schmiermittel und wischen Sie den Überschuss mit "
        "{tool} ab.",
        tool="cleaner",
    ),
    _t(
        "You will need {tool} to remove {part|the}.",
        "Sie benötigen {tool}, um {part|acc|def} abzunehmen.",
        tool="tool",
        part="bolted",
    ),
    _t(
        "The tyre pressure on {wheel|the} was only {bar}, which explains the puncture.",
        "Der Reifendruck an {wheel|dat|def} betrug nur {bar}, was die Reifenpanne erklärt.",
        wheel="wheel",
        bar="pressure_flat",
    ),
    _t(
        "For the {product|bare}, our technicians recommend a service every {km} or once a year.",
        "Für das {product|bare} empfehlen unsere Techniker alle {km} oder einmal im Jahr eine Inspektion.",
        product="product",
        km="interval",
    ),
    _t(
        "If {part|the} gets wet, let it dry for {time} before you switch the bike on.",
        "Wenn {part|nom|def} nass wird, lassen Sie {part|acc|pron} {time} trocknen, bevor Sie das Rad "
        "einschalten.",
        part="elec",
        time="dry_time",
    ),
    _t(
        "For cleaning, you will need {tool} and some warm water.",
        "Für die Reinigung brauchen Sie {tool|acc} und etwas warmes Wasser.",
        tool="cleaner",
    ),
    _t(
        "Is {part|the} for the {product|bare} available as a spare part?",
        "Ist {part|nom|def} für das {product|bare} als Ersatzteil erhältlich?",
        part="any",
        product="product",
    ),
    _t(
        "The {product|bare} I ordered on {date} still has not arrived.",
        "Das {product|bare}, das ich am {date} bestellt habe, ist immer noch nicht angekommen.",
        product="product",
        date="date",
    ),
    _t(
        "Hold {button|the} and {other|the} together for {sec} seconds to reset the display.",
        "Halten Sie {button|acc|def} und {other|acc|def} {sec} Sekunden lang gleichzeitig gedrückt, um das "
        "Display zurückzusetzen.",
        button="button",
        other="button",
        sec="seconds",
    ),
)

_SLOT_RE = re.compile(r"\{([a-z]+)((?:\|[a-zäöüß]+)*)\}")


def _render_en(value: Noun | Phrase, args: list[str]) -> str:
    if isinstance(value, Noun):
        return english_noun_phrase(value, args[0] if args else "bare", args[1] if len(args) > 1 else "")
    if args and args[0] == "size":  # the frame size is written the same way in both languages
        return dict(value.forms)["size"]
    return value.en


def _render_de(value: Noun | Phrase, args: list[str]) -> str:
    if isinstance(value, Noun):
        if not args or args[0] == "bare":
            return value.de
        case, det = args[0], args[1]
        return german_noun_phrase(value, case, det, args[2] if len(args) > 2 else "")
    forms = dict(value.forms)
    return forms[args[0]] if args else value.de


def render(template: str, values: dict[str, Noun | Phrase], lang: str) -> str:
    """Fill ``template`` with ``values`` in ``lang`` (``en`` or ``de``) and capitalise its first letter."""

    def substitute(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        args = [a for a in match.group(2).split("|") if a]
        return _render_en(value, args) if lang == "en" else _render_de(value, args)

    text = _SLOT_RE.sub(substitute, template)
    if lang == "de":
        text = contract(text)
    return text[0].upper() + text[1:]


def fill(template: Template, rng: random.Random) -> tuple[str, str]:
    """Draw slot values for ``template`` (distinct within a sentence) and return ``(en, de)``."""
    values: dict[str, Noun | Phrase] = {}
    for slot, pool_name in template.slots:
        if pool_name == "order":
            values[slot] = _order_number(rng)
            continue
        pool = POOLS[pool_name]
        choice = rng.choice(pool)
        while choice in values.values():
            choice = rng.choice(pool)
        values[slot] = choice
    return render(template.en, values, "en"), render(template.de, values, "de")


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


def split_templates(rng: random.Random) -> dict[str, list[tuple[str, Template]]]:
    """Assign template pairs to train or test; returns split -> [(id, template)]."""
    ids = [(f"t{i:02d}", t) for i, t in enumerate(TEMPLATES)]
    rng.shuffle(ids)
    n_test = round(len(ids) * TEST_TEMPLATE_FRACTION)
    return {"test": sorted(ids[:n_test]), "train": sorted(ids[n_test:])}


def generate(seed: int = SEED, train_rows: int = TRAIN_ROWS, test_rows: int = TEST_ROWS) -> list[Pair]:
    """Generate all pairs deterministically from ``seed``, in the (shuffled) order they are written."""
    rng = random.Random(seed)
    templates = split_templates(rng)
    seen: set[str] = set()
    kept: list[frozenset[tuple[str, ...]]] = []
    pairs: list[Pair] = []
    for split, count in (("test", test_rows), ("train", train_rows)):
        order = list(templates[split])
        rng.shuffle(order)
        made = turn = 0
        while made < count:
            if turn > 20 * count:
                raise RuntimeError(f"could not make {count} distinct {split} pairs")
            template_id, template = order[turn % len(order)]
            turn += 1
            for _ in range(30):
                en, de = fill(template, rng)
                key, grams = normalise(en), trigrams(en)
                if key in seen or any(jaccard(grams, other) >= NEAR_DUPLICATE_JACCARD for other in kept):
                    continue
                seen.add(key)
                kept.append(grams)
                pairs.append(Pair(en, de, split, template_id))
                made += 1
                break
    rng.shuffle(pairs)
    return pairs


def write_jsonl(pairs: Sequence[Pair], path: Path) -> None:
    """Write ``pairs`` as UTF-8 JSON lines: ``{"translation": {"en": ..., "de": ...}, "split": ...}``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for p in pairs:
            row = {"translation": {"en": p.en, "de": p.de}, "split": p.split}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the dataset to the given path (default: next to this file)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="JSONL file to write")
    args = parser.parse_args(argv)
    pairs = generate()
    write_jsonl(pairs, args.output)
    print(f"wrote {len(pairs)} rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
