"""Generate the synthetic example dataset ``examples/chat_house_style.jsonl``.

Support conversations between customers and the assistant of *Northwind Cycles*, a made-up e-bike maker,
in OpenAI ``messages`` format. The assistant always writes in one house style, which is what a model
fine-tuned on this data should learn:

* greets the customer by first name when they give it (``Hi Anna,``), otherwise ``Hi there,`` — only in
  its first reply;
* short paragraphs (at most three sentences), separated by blank lines;
* metric units only: when a customer writes psi, miles, mph, pounds, feet or °F, the reply converts;
* never promises a refund: the returns team decides after inspecting the bike;
* always ends with one concrete ``Next step: …`` line and the sign-off ``— Northwind Support``.

The project wrote every template; nothing is copied from a public dataset and no person is real.
Run ``python examples/make_chat.py`` to rewrite the file next to this script, or pass an output path as
the first argument. The output is byte-identical on every run: everything random comes from one
``random.Random`` seeded with :data:`SEED`. Only the standard library is used.

The test split is held out by opening template: for every topic about a fifth of the customers' opening
messages are used only in test conversations.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

SEED = 20240722
TRAIN_ROWS = 176
TEST_ROWS = 44
TEST_TEMPLATE_FRACTION = 0.2
NEAR_DUPLICATE_JACCARD = 0.8
SIGN_OFF = "— Northwind Support"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "chat_house_style.jsonl"

SYSTEM_PROMPTS = (
    "You are the customer support assistant of Northwind Cycles, a maker of e-bikes. Greet the customer by "
    "first name if they give it, keep paragraphs short, use metric units, never promise refunds (the "
    "returns team decides), end with one concrete next step and sign off with '— Northwind Support'.",
    "You are Northwind Support, the help assistant for Northwind Cycles e-bikes. House style: first-name "
    "greeting when known, short paragraphs, metric units only, no refund promises, a 'Next step:' line and "
    "the sign-off '— Northwind Support'.",
)
SYSTEM_SHARE = 0.75

Facts = dict[str, str]
Reply = tuple[list[str], str]


class Opener(NamedTuple):
    """A customer's opening message template and the reply variant it calls for."""

    text: str
    variant: str


class FollowUp(NamedTuple):
    """A follow-up message from the customer and the function that answers it."""

    text: str
    reply: Callable[[Facts], Reply]


class Topic(NamedTuple):
    """One support topic: openers, how to draw its facts, how to reply and possible follow-ups."""

    name: str
    openers: tuple[Opener, ...]
    facts: Callable[[random.Random], Facts]
    reply: Callable[[str, Facts, random.Random], Reply]
    follow_ups: tuple[FollowUp, ...]


class Conversation(NamedTuple):
    """One generated row plus its topic and opener id (neither is written out)."""

    messages: tuple[tuple[str, str], ...]
    split: str
    topic: str
    template_id: str


# --------------------------------------------------------------------------------------------
# Slot values and unit conversion (customers may write imperial units; replies never do)
# --------------------------------------------------------------------------------------------

PRODUCTS = ("Aero 3", "Aero 5", "Kestrel Cargo", "Strada 7", "Strada 9", "Lark Fold", "Nimbus Trail")
FIRST_NAMES = (
    "Anna",
    "Tom",
    "Priya",
    "Jürgen",
    "Chloé",
    "Mateo",
    "Fatima",
    "Liam",
    "Yuki",
    "Olga",
    "Kwame",
    "Sofia",
    "Grace",
    "Lucas",
    "Hannah",
    "Ravi",
    "Eva",
    "Pieter",
    "Lotte",
    "Ines",
    "Henrik",
    "Mira",
    "Ben",
    "Noor",
)
ORDER_PREFIX = "NW-"


def _num(value: float) -> str:
    """Format a number with at most one decimal, dropping a trailing .0."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _distance(rng: random.Random, km_values: Sequence[int], mile_values: Sequence[int]) -> tuple[str, int]:
    """A distance as the customer writes it and its value in km."""
    if rng.random() < 0.35:
        miles = rng.choice(mile_values)
        return f"{miles} miles", round(miles * 1.609344)
    km = rng.choice(km_values)
    return f"{km:,} km", km


def _weight(rng: random.Random) -> tuple[str, int]:
    if rng.random() < 0.4:
        lbs = rng.choice((150, 165, 180, 195, 210, 225, 250))
        return f"{lbs} lbs", round(lbs * 0.45359237)
    kg = rng.choice((58, 64, 72, 80, 88, 95, 104, 112))
    return f"{kg} kg", kg


def _height(rng: random.Random) -> tuple[str, int]:
    kind = rng.randrange(3)
    if kind == 0:
        feet, inches = rng.choice(((5, 2), (5, 5), (5, 7), (5, 9), (5, 11), (6, 1), (6, 3)))
        return rng.choice((f"{feet}'{inches}\"", f"{feet} ft {inches}")), round((feet * 12 + inches) * 2.54)
    cm = rng.choice((158, 163, 167, 171, 174, 178, 182, 186, 191))
    return (f"{cm} cm" if kind == 1 else f"{cm / 100:.2f} m"), cm


def _temperature(rng: random.Random) -> tuple[str, int]:
    if rng.random() < 0.35:
        fahrenheit = rng.choice((14, 21, 25, 28, 32))
        return f"{fahrenheit} °F", round((fahrenheit - 32) * 5 / 9)
    celsius = rng.choice((-8, -5, -3, 0, 2))
    return f"{celsius} °C", celsius


def frame_size(cm: int) -> str:
    """Northwind's size chart: rider height in cm to frame size."""
    if cm < 165:
        return "S"
    if cm <= 175:
        return "M"
    if cm <= 185:
        return "L"
    return "XL"


def _order(rng: random.Random) -> str:
    return f"{ORDER_PREFIX}{rng.randint(100000, 999999)}"


# --------------------------------------------------------------------------------------------
# Topics
# --------------------------------------------------------------------------------------------


def _facts_range(rng: random.Random) -> Facts:
    text, km = _distance(rng, (25, 30, 35, 38, 42, 45), (15, 18, 20, 24, 28))
    return {"product": rng.choice(PRODUCTS), "range": text, "km": str(km), "goal": str(km + 15)}


def _reply_range(variant: str, f: Facts, rng: random.Random) -> Reply:
    first = rng.choice(
        (
            f"About {f['km']} km from a charge is on the low side for the {f['product']}, but there is "
            "usually a simple cause.",
            f"Getting around {f['km']} km per charge is less than the {f['product']} normally manages, so "
            "it's worth checking a few things.",
        )
    )
    if variant == "cold":
        first = (
            f"A drop to about {f['km']} km in cold weather is expected: below 0 °C the cells deliver less "
            "energy, and range can fall by up to 30 %."
        )
    if variant == "pair":
        first = (
            "When two identical bikes differ a lot, the cause is usually how they are ridden or set up, not "
            "the battery itself."
        )
    causes = (
        "Range depends mostly on the assistance level: Turbo with frequent hill starts uses far more energy "
        "than Eco on the flat. Low tyre pressure, heavy loads and headwinds shorten it too."
    )
    tip = "Keep the tyres between 2.5 and 4 bar and try a week mainly in Eco or Tour."
    step = rng.choice(
        (
            "Charge the battery fully, ride your usual route in Eco and reply with the range the display "
            "shows afterwards.",
            f"If you still get less than {f['goal']} km in Eco after a full charge, book a free battery "
            "health check in the Northwind Ride app under Service.",
        )
    )
    return [first, causes, tip], step


def _follow_range(f: Facts) -> Reply:
    return (
        [
            "Thanks, that rules out the assistance level.",
            f"If Eco only gives you around {f['km']} km, the battery should be tested. A health check shows "
            "the remaining capacity in a few minutes.",
        ],
        "Book a battery health check in the Northwind Ride app under Service and bring the battery and its "
        "key.",
    )


RANGE = Topic(
    "range",
    (
        Opener("My {product} only does {range} on a full battery now. Is the battery dying?", "low"),
        Opener(
            "range on my {product} has dropped to about {range}, it used to be way more. what's going on?",
            "low",
        ),
        Opener("Since the cold weather started I only get {range} out of a charge. Normal?", "cold"),
        Opener(
            "I bought a {product} in spring and now the display estimates only {range}. Should I be worried?",
            "low",
        ),
        Opener("How far should a {product} go on one charge? Mine manages {range} in Turbo.", "low"),
        Opener(
            "Battery range question: {range} per charge on my commute, mostly hills. Is that what I should "
            "expect?",
            "low",
        ),
        Opener("Is {range} a normal range for the {product}? Feels short to me.", "low"),
        Opener("my battery doesnt last anymore, {range} and its empty", "low"),
        Opener(
            "We have two {product} bikes and one of them gets only {range} while the other does much more. "
            "Why?",
            "pair",
        ),
        Opener("Winter commute, {range} and the battery is flat. Is something wrong with it?", "cold"),
    ),
    _facts_range,
    _reply_range,
    (
        FollowUp("I already ride in Eco most of the time.", _follow_range),
        FollowUp("Tyres are fine, I checked. Still only {range}.", _follow_range),
    ),
)


ERROR_TEXT = {
    "E-10": (
        [
            "E-10 means the speed sensor has lost the signal from the spoke magnet. Usually the magnet on "
            "the "
            "rear wheel has been knocked out of position, for example while parking or washing the bike.",
            "Check that the magnet passes the sensor on the frame with a gap of 5 to 15 mm. Move it back "
            "into "
            "place and spin the wheel; the error clears once the system sees the signal again.",
        ],
        "Realign the magnet, switch the system off and on, and let us know if E-10 comes back.",
    ),
    "E-21": (
        [
            "E-21 means the battery is too hot or too cold to deliver power. It often appears after the bike "
            "has stood in strong sun or in freezing temperatures.",
            "Bring the battery indoors and let it reach room temperature for about an hour before riding or "
            "charging. Charging works best between 10 and 25 °C.",
        ],
        "Let the battery rest indoors for an hour, then switch the system on again.",
    ),
    "E-30": (
        [
            "E-30 means the motor has detected a communication fault between its components.",
            "Switch the system off and on once. If E-30 appears again, the motor needs a workshop check; you "
            "can still ride home without assistance.",
        ],
        "Restart the system once and, if E-30 returns, book a workshop check in the Northwind Ride app.",
    ),
}


def _facts_error(rng: random.Random) -> Facts:
    return {
        "product": rng.choice(PRODUCTS),
        "code": rng.choice(tuple(ERROR_TEXT)),
        "age": rng.choice(("two months", "a year", "six weeks", "18 months", "three weeks")),
    }


def _reply_error(variant: str, f: Facts, rng: random.Random) -> Reply:
    paragraphs, step = ERROR_TEXT[f["code"]]
    paragraphs = list(paragraphs)
    if variant == "wash":
        paragraphs.insert(0, "Don't worry, washing the bike rarely breaks anything.")
    if variant == "safe":
        paragraphs.insert(
            0,
            "The brakes and lights are not affected, so the bike is safe to ride without "
            "assistance while you sort this out.",
        )
    return paragraphs, step


def _follow_error(f: Facts) -> Reply:
    return (
        [
            "Thanks for trying that. Since the code keeps coming back, a technician should read the fault "
            "memory with the diagnostic tool, which takes about 15 minutes.",
        ],
        "Book a diagnostic appointment in the Northwind Ride app under Service, or reply with your postcode "
        "and I'll name your nearest workshop.",
    )


ERRORS = Topic(
    "error_code",
    (
        Opener("My display says {code} and the motor stopped helping. What does that mean?", "plain"),
        Opener("{code} keeps popping up on my {product}", "plain"),
        Opener(
            "Got an {code} error halfway through my ride today, had to pedal home without assist.", "plain"
        ),
        Opener("What is error {code}? {product}, about {age} old.", "plain"),
        Opener("the screen shows {code} every time i set off, what do i do", "plain"),
        Opener("After washing my bike the display now shows {code}. Did I break something?", "wash"),
        Opener("Is it safe to keep riding with {code} on the display?", "safe"),
        Opener(
            "Error code {code} appeared this morning. I switched the bike off and on but it came back.",
            "plain",
        ),
        Opener("My {product} is only {age} old and already throws {code}. Not impressed.", "plain"),
    ),
    _facts_error,
    _reply_error,
    (
        FollowUp("It's still there after restarting.", _follow_error),
        FollowUp("did that, {code} is back again", _follow_error),
    ),
)


def _facts_pressure(rng: random.Random) -> Facts:
    if rng.random() < 0.5:
        psi = rng.choice((30, 35, 40, 45, 50, 60, 70))
        bar = psi * 0.0689476
        said = f"{psi} psi"
    else:
        bar = rng.choice((1.8, 2.0, 3.0, 3.5, 4.8, 5.0))
        said = f"{_num(bar)} bar"
    weight_text, kg = _weight(rng)
    recommended = "2.8" if kg < 70 else ("3.2" if kg <= 90 else "3.6")
    return {
        "product": rng.choice(PRODUCTS),
        "pressure": said,
        "bar": _num(round(bar, 1)),
        "weight": weight_text,
        "kg": str(kg),
        "rec": recommended,
    }


def _reply_pressure(variant: str, f: Facts, rng: random.Random) -> Reply:
    bar = float(f["bar"])
    first = f"For the {f['product']} we recommend 2.5 to 4 bar."
    if variant == "weight":
        first += f" At about {f['kg']} kg, around {f['rec']} bar is a good starting point."
    elif bar < 2.5:
        first += (
            f" What you have is about {f['bar']} bar, below that range, which raises the risk of pinch flats."
        )
    elif bar > 4.5:
        first += (
            f" What you have is about {f['bar']} bar, above the 4.5 bar maximum printed on the sidewall, "
            "so please let some air out."
        )
    else:
        first += f" What you have is about {f['bar']} bar, which is within that range."
    second = (
        "Lighter riders and rough surfaces suit the lower end, heavier riders and smooth roads the upper "
        "end. "
        "Check the pressure at least every two weeks, because tyres lose air slowly."
    )
    return [first, second], f"Set the tyres to {f['rec']} bar with a gauge and check them again in two weeks."


def _follow_valve(f: Facts) -> Reply:
    return (
        [
            f"The {f['product']} has Presta valves. An adapter for car-style pumps is in the accessories "
            "bag that "
            "came with the bike."
        ],
        f"Screw the adapter onto the valve and pump the tyres to {f['rec']} bar.",
    )


PRESSURE = Topic(
    "tyre_pressure",
    (
        Opener("What tyre pressure should I run on the {product}? I weigh {weight}.", "weight"),
        Opener("I pumped my tyres to {pressure}, is that ok?", "value"),
        Opener("My petrol station pump shows {pressure} for my tyres. Too much or too little?", "value"),
        Opener("Ride feels harsh on cobbles. Tyres are at {pressure}. Should I let some air out?", "value"),
        Opener(
            "How often do I need to check the tyre pressure, and what should it be? Currently {pressure}.",
            "value",
        ),
        Opener(
            "Got a flat last week and the shop put {pressure} in. Is that within spec for the {product}?",
            "value",
        ),
        Opener("I'm {weight} and ride mostly on gravel paths. Which pressure do you recommend?", "weight"),
        Opener("whats the right pressure for a {product}? rider is {weight}", "weight"),
        Opener("Tyres on my {product} are at {pressure} according to my new gauge. Fine?", "value"),
    ),
    _facts_pressure,
    _reply_pressure,
    (
        FollowUp("Which valve type do I need for my pump?", _follow_valve),
        FollowUp("ok and what valves does it have? my pump is the car type", _follow_valve),
    ),
)


def _facts_charging(rng: random.Random) -> Facts:
    temp_text, celsius = _temperature(rng)
    return {
        "product": rng.choice(PRODUCTS),
        "pct": rng.choice(("40%", "60%", "80%", "35 %", "75 %")),
        "temp": temp_text,
        "celsius": str(celsius),
    }


def _reply_charging(variant: str, f: Facts, rng: random.Random) -> Reply:
    paragraphs = ["Let's narrow down whether it's the charger or the battery."]
    if variant == "cold":
        paragraphs.append(
            f"At {f['celsius']} °C the battery management system blocks charging to protect the cells. Bring "
            "the battery indoors and let it warm up for a couple of hours first."
        )
    elif variant == "overnight":
        paragraphs.append(
            "Leaving the charger connected overnight is safe, because charging stops automatically. A red "
            "LED "
            "the next morning, though, means the battery never finished charging."
        )
    else:
        paragraphs.append(
            "The charger LED glows red while charging and turns green when the battery is full. No light at "
            "all usually points to the socket or the charger itself."
        )
    paragraphs.append("Also check the charging port for dirt and make sure the plug sits firmly.")
    return paragraphs, (
        "Try a different wall socket with the battery at room temperature, and send us a photo of the "
        "charger "
        "LED if it still won't charge."
    )


def _follow_charging(f: Facts) -> Reply:
    return (
        [
            "Then the charger is the most likely culprit.",
            "We can check it against its serial number and arrange a replacement if it's faulty under "
            "warranty.",
        ],
        "Reply with the serial number printed on the charger label so we can check it.",
    )


CHARGING = Topic(
    "charging",
    (
        Opener("My charger light stays red all night and the battery never gets full.", "overnight"),
        Opener("The charger for my {product} doesn't light up at all when I plug it in.", "plain"),
        Opener("battery wont charge. {product}. tried twice", "plain"),
        Opener("Charging stopped at {pct} and won't go any further. What can I do?", "plain"),
        Opener("I left my bike in the garage at {temp} and now it refuses to charge.", "cold"),
        Opener(
            "Is it bad to leave the charger plugged in overnight? And why is the LED still red in the "
            "morning?",
            "overnight",
        ),
        Opener(
            "The charging port on my {product} looks dirty and the plug feels loose. Battery isn't charging "
            "properly.",
            "plain",
        ),
        Opener("How do I know if my charger is broken or the battery? {product}, stuck at {pct}.", "plain"),
        Opener("Outside it's {temp} and my battery won't take a charge on the balcony. Related?", "cold"),
    ),
    _facts_charging,
    _reply_charging,
    (
        FollowUp("Tried another socket, still nothing.", _follow_charging),
        FollowUp("same problem with a different socket unfortunately", _follow_charging),
    ),
)


def _facts_brakes(rng: random.Random) -> Facts:
    return {"product": rng.choice(PRODUCTS), "wheel": rng.choice(("front", "rear"))}


BRAKE_STEP_CLEAN = (
    "Clean the rotors, then make about twenty firm stops from 25 km/h on a quiet road and tell us if the "
    "noise is gone."
)
BRAKE_STEP_BOOK = (
    "Book a brake check in the Northwind Ride app under Service and don't ride the bike until then."
)


def _reply_brakes(variant: str, f: Facts, rng: random.Random) -> Reply:
    clean = (
        "Clean both rotors with isopropyl alcohol and a clean cloth. If the pads themselves are "
        "contaminated, "
        "they usually can't be cleaned and need replacing."
    )
    if variant == "squeal":
        return [
            "Squealing brakes are usually contaminated: a little oil, chain lube or cleaning spray on the "
            "rotor is enough.",
            clean,
        ], BRAKE_STEP_CLEAN
    if variant == "wd40":
        return [
            "Please don't: WD-40 or any oil on the rotors makes the brakes squeal more and lose power.",
            clean,
        ], BRAKE_STEP_CLEAN
    if variant == "new_pads":
        return [
            "New pads need bedding in before they reach full power.",
            "Make about twenty firm stops from 25 km/h on a quiet road. The pads and rotors then build up an "
            "even layer of pad material.",
        ], "Bed in the pads as described and tell us if the brakes still feel weak afterwards."
    if variant == "spongy":
        return [
            "A lever that comes almost to the handlebar usually means air in the hydraulic system or worn "
            "pads.",
            "The pads need replacing when they're thinner than 1 mm, and the system is bled with mineral "
            "oil in "
            "the workshop.",
        ], BRAKE_STEP_BOOK
    if variant == "grinding":
        return [
            "Grinding usually means the pads are worn down to the metal backing plate.",
            f"Please stop using the {f['wheel']} brake hard: pads need replacing when they're thinner than "
            "1 mm, and a worn-through pad damages the 180 mm rotor.",
        ], BRAKE_STEP_BOOK
    return [
        "We recommend a brake check at every annual service and a bleed by a workshop every two years.",
        "Between services, check the pad thickness monthly and replace the pads when they're thinner than "
        "1 mm.",
    ], "Book your next annual service in the Northwind Ride app under Service."


def _follow_brakes(f: Facts) -> Reply:
    return (
        [
            "Then the pads have most likely absorbed the contamination and need replacing.",
            "A new pad set is inexpensive, and the workshop can fit it in about 20 minutes.",
        ],
        "Book a pad replacement in the Northwind Ride app, or order a pad set from your dealer.",
    )


BRAKES = Topic(
    "brakes",
    (
        Opener("My {wheel} brake squeals like crazy since I cleaned the bike.", "squeal"),
        Opener("The {wheel} brake on my {product} makes a horrible noise when I stop. Any idea?", "squeal"),
        Opener("brakes squeaking after riding in the rain, normal?", "squeal"),
        Opener(
            "Just had new brake pads fitted on the {product} and they feel weak. Is that normal?", "new_pads"
        ),
        Opener("The {wheel} brake lever goes almost to the handlebar now and braking feels soft.", "spongy"),
        Opener("How often should the brakes on an e-bike be serviced?", "service"),
        Opener("Someone told me to spray WD-40 on squeaky brakes. Good idea?", "wd40"),
        Opener("Loud grinding from the {wheel} brake on descents. Still safe to ride?", "grinding"),
        Opener("Brakes on the {product} feel spongy since last week. What should I do?", "spongy"),
    ),
    _facts_brakes,
    _reply_brakes,
    (FollowUp("I cleaned the rotors but it still squeals.", _follow_brakes),),
)


def _facts_gears(rng: random.Random) -> Facts:
    text, km = _distance(rng, (1500, 2500, 3000, 4000), (1000, 1500, 2000))
    return {"product": rng.choice(PRODUCTS), "distance": text, "km": f"{km:,}"}


def _reply_gears(variant: str, f: Facts, rng: random.Random) -> Reply:
    if variant == "worn":
        return [
            f"At {f['km']} km an e-bike chain is often close to worn out, because the motor adds a lot of "
            "torque.",
            "A chain checker tells you in seconds: replace the chain at 0.5 % wear, before it wears out the "
            "cassette and chainring too.",
        ], "Measure the chain with a chain checker, or ask your workshop to measure it at your next visit."
    if variant == "fall":
        return [
            "After a fall, the derailleur hanger is often slightly bent, which stops the gears lining up.",
            "Please don't force the shifter. A workshop can straighten or replace the hanger in about 15 "
            "minutes.",
        ], "Book a gear check in the Northwind Ride app under Service."
    return [
        "Skipping under load usually comes from cable tension that has changed or from a worn chain.",
        "Turn the barrel adjuster on the rear derailleur a quarter turn anticlockwise and test again. If "
        "that "
        "doesn't help, check the chain: replace it at 0.5 % wear.",
    ], "Adjust the barrel by a quarter turn, shift through all gears and tell us whether the skipping stops."


def _follow_gears(f: Facts) -> Reply:
    return (
        [
            "It's the small knurled knob where the gear cable enters the rear derailleur. You can turn it "
            "by hand, "
            "no tools needed."
        ],
        "Turn it a quarter turn anticlockwise, then test the gears on a quiet street.",
    )


GEARS = Topic(
    "gears",
    (
        Opener("Gears keep skipping when I push hard on the pedals.", "skip"),
        Opener("my chain jumps between gears on hills", "skip"),
        Opener("The {product} won't shift into the biggest gear anymore.", "skip"),
        Opener("Shifting has become noisy and slow on my {product} after {distance}.", "skip"),
        Opener("Every time I climb out of the saddle the gears slip. Scary!", "skip"),
        Opener("I think my chain might be worn, it's done about {distance}. How do I check?", "worn"),
        Opener("Gears won't stay in place since the bike fell over in the shed.", "fall"),
        Opener(
            "My {product} fell on its right side yesterday and now the gears are all over the place.", "fall"
        ),
        Opener("How long does a chain last on an e-bike? Mine has {distance} on it.", "worn"),
    ),
    _facts_gears,
    _reply_gears,
    (FollowUp("Where exactly is the barrel adjuster?", _follow_gears),),
)


def _facts_refund(rng: random.Random) -> Facts:
    return {
        "product": rng.choice(PRODUCTS),
        "days": str(rng.choice((5, 9, 12, 20, 26, 40))),
        "order": _order(rng),
    }


def _reply_refund(variant: str, f: Facts, rng: random.Random) -> Reply:
    if variant == "scratch":
        first = "I'm sorry the frame arrived scratched; that's not the condition a new bike should be in."
    elif variant == "angry":
        first = (
            f"I'm sorry the {f['product']} has caused you so much trouble, "
            "and I understand you're frustrated."
        )
    else:
        first = f"I'm sorry the {f['product']} isn't working out for you."
    policy = (
        "Bikes bought online can be returned within 14 days of delivery if they've been ridden less than "
        "50 km "
        "and show no damage. Our courier collects the bike; the collection fee is 49 euros unless it's "
        "faulty."
    )
    if variant == "late" and int(f["days"]) > 14:
        policy = (
            f"As the bike was delivered {f['days']} days ago, it's outside the 14-day return window. The "
            "returns "
            "team can still look at your case, especially if something is faulty."
        )
    decision = (
        "I can't confirm a refund in chat: the returns team decides once the bike has been inspected and "
        "lets "
        "you know within five working days."
    )
    step = (
        "Start the return in your account under Orders, or reply with your order number and I'll open it "
        "for you."
    )
    if variant == "order":
        step = f"I've noted order {f['order']}; reply with two photos of the bike so I can open the return."
    return [first, policy, decision], step


def _follow_refund(f: Facts) -> Reply:
    return (
        [
            "I understand you'd like a clear answer.",
            "I'm not able to decide that here: the returns team inspects every returned bike and makes the "
            "decision, "
            "usually within five working days of it reaching the warehouse.",
        ],
        "Reply with your order number and I'll open the return so the courier can collect the bike.",
    )


REFUND = Topic(
    "refund",
    (
        Opener("I want a refund for my {product}, I've had it {days} days and it's not for me.", "late"),
        Opener(
            "Can I get my money back? The {product} arrived {days} days ago and it's too heavy for me.",
            "late",
        ),
        Opener("I'd like to return my bike and get a full refund please. Order {order}.", "order"),
        Opener("Bike arrived with a scratched frame. I want my money back.", "scratch"),
        Opener("how do i return the bike, changed my mind", "plain"),
        Opener("You need to refund me NOW, the {product} has been nothing but trouble.", "angry"),
        Opener("If I send the {product} back, how quickly will I see the money?", "plain"),
        Opener("Is there a fee if I return the {product}? Delivered {days} days ago.", "late"),
        Opener("The paint on my new {product} is chipped in two places. Refund please.", "scratch"),
    ),
    _facts_refund,
    _reply_refund,
    (
        FollowUp("So will I get my money back or not?", _follow_refund),
        FollowUp("Just tell me yes or no: do I get the money back?", _follow_refund),
    ),
)


COUNTRIES = ("Switzerland", "Norway", "the UK", "Austria", "Denmark", "France", "Poland")
NO_DELIVERY = {"Switzerland", "Norway", "the UK"}


def _facts_delivery(rng: random.Random) -> Facts:
    return {
        "product": rng.choice(PRODUCTS),
        "order": _order(rng),
        "days": str(rng.choice((4, 6, 8, 10, 12))),
        "country": rng.choice(COUNTRIES),
        "floor": rng.choice(("2nd", "3rd", "4th", "5th")),
    }


def _reply_delivery(variant: str, f: Facts, rng: random.Random) -> Reply:
    if variant == "country":
        if f["country"] in NO_DELIVERY:
            return [f"Unfortunately we don't deliver to {f['country']} at the moment."], (
                "Check the dealer map on our website for a Northwind dealer near you."
            )
        return [
            f"Yes, we deliver to {f['country']} through our partner freight company.",
            "Bikes in stock arrive within three to seven working days, fully assembled.",
        ], f"Place the order online and choose {f['country']} as the delivery country."
    if variant == "floor":
        return (
            [
                "Our drivers carry the bike to the ground floor, but not up stairs, for safety reasons.",
                "The driver calls about 30 minutes before arrival, so you'll have time to come down.",
            ],
            "Plan for someone to help carry the bike upstairs, or ask the driver to leave it in the "
            "entrance hall.",
        )
    if variant == "assembled":
        return [
            "Bikes are delivered fully assembled, so you can ride off after a quick check.",
            "Please check the bike on the spot and note any visible damage on the delivery form.",
        ], "Charge the battery fully before your first ride and keep the delivery form for your records."
    if variant == "address":
        return (
            [
                "Address changes are possible until the bike leaves the warehouse.",
            ],
            "Reply with the new address and a phone number so our logistics team can update order "
            f"{f['order']}.",
        )
    paragraphs = [
        "Bikes in stock are delivered within three to seven working days. Our own vans cover the "
        "Netherlands, "
        "Belgium and western Germany; a partner freight company delivers elsewhere in the EU.",
        "The driver calls about 30 minutes before arrival.",
    ]
    if variant == "status_order":
        return paragraphs, (
            f"I've passed order {f['order']} to our logistics team, who will email you a delivery date "
            "within "
            "one working day."
        )
    return paragraphs, "Reply with your order number and I'll ask our logistics team for a delivery date."


def _follow_delivery(f: Facts) -> Reply:
    return (
        [
            "Bikes travel in a protective box and are checked before loading.",
            "If you spot transport damage, note it on the delivery form while the driver is still there.",
        ],
        "Keep your phone nearby on delivery day so the driver's call doesn't go to voicemail.",
    )


DELIVERY = Topic(
    "delivery",
    (
        Opener("Where is my bike? Order {order}, paid {days} days ago.", "status_order"),
        Opener("When will my {product} arrive? I ordered it last week.", "status"),
        Opener("the delivery driver never showed up today, order {order}", "status_order"),
        Opener("Can the driver bring the bike up to my flat on the {floor} floor?", "floor"),
        Opener("Do you deliver to {country}?", "country"),
        Opener("My order {order} says 'in preparation' for {days} days now. Any update?", "status_order"),
        Opener("Will the {product} come assembled or do I need tools?", "assembled"),
        Opener(
            "Can I change the delivery address for order {order}? I'll be staying with my parents.", "address"
        ),
        Opener("I live in {country}. Can I order a {product} online from you?", "country"),
    ),
    _facts_delivery,
    _reply_delivery,
    (FollowUp("And what if the bike gets damaged on the way?", _follow_delivery),),
)


def _facts_service(rng: random.Random) -> Facts:
    text, km = _distance(rng, (250, 420, 510, 640, 800), (200, 300, 450))
    return {
        "product": rng.choice(PRODUCTS),
        "distance": text,
        "km": str(km),
        "months": str(rng.choice((2, 3, 4, 5))),
    }


def _reply_service(variant: str, f: Facts, rng: random.Random) -> Reply:
    first = (
        "Every new Northwind bike gets a free first service after 500 km or three months, "
        "whichever comes first."
    )
    if variant == "km":
        first += (
            f" At about {f['km']} km yours is due now."
            if int(f["km"]) >= 500
            else f" At about {f['km']} km you're not there yet, unless three months have passed."
        )
    if variant == "missed":
        return [
            "Missing the first service doesn't void your warranty.",
            "Repairs caused by loose components aren't covered, though, so it's worth booking it now.",
        ], "Book the first service in the Northwind Ride app under Service and bring the battery and key."
    content = (
        "The appointment takes about 45 minutes: the technician checks spoke tension, re-tightens bolts, "
        "adjusts gears and brakes and installs the latest software."
    )
    return [
        first,
        content,
    ], "Book the service in the Northwind Ride app under Service and bring the battery and key."


def _follow_service(f: Facts) -> Reply:
    return (
        ["Yes, at about 45 minutes most customers wait in the shop."],
        "Choose a morning slot in the app, as those are usually the least busy.",
    )


SERVICE = Topic(
    "service",
    (
        Opener("When is the first service due on my {product}?", "plain"),
        Opener("I've done {distance} on my new bike. Do I need to bring it in?", "km"),
        Opener("How do I book a service for my {product}?", "plain"),
        Opener("Is the first inspection free? Bought the {product} {months} months ago.", "plain"),
        Opener("how long does a service take, do i need to leave the bike there all day", "plain"),
        Opener("I missed the first service, is my warranty gone now?", "missed"),
        Opener("My {product} has done {distance}. What does the service include?", "km"),
        Opener("Forgot all about the first check-up on my {product}. Problem?", "missed"),
    ),
    _facts_service,
    _reply_service,
    (FollowUp("Can I wait while they do it?", _follow_service),),
)


def _facts_speed(rng: random.Random) -> Facts:
    metric = rng.random() < 0.6
    return {
        "product": rng.choice(PRODUCTS),
        "speed": "25 km/h" if metric else "15.5 mph",
        "speed2": rng.choice(("45 km/h", "35 km/h")) if metric else rng.choice(("28 mph", "22 mph")),
    }


def _reply_speed(variant: str, f: Facts, rng: random.Random) -> Reply:
    paragraphs = [
        "The motor stops assisting at 25 km/h because that's the legal limit for pedelecs in the European "
        "Union.",
        "Raising the limit makes the bike a motor vehicle in legal terms, needing insurance and "
        "registration, "
        "and it voids the warranty. That's why we can't do it.",
        "You can ride faster under your own power, and Sport or Turbo mode help you reach 25 km/h more "
        "quickly.",
    ]
    return (
        paragraphs,
        "If you need more speed, ask your dealer for a test ride on a speed pedelec approved for 45 km/h.",
    )


def _follow_speed(f: Facts) -> Reply:
    return (
        ["A speed pedelec needs an insurance plate and, in most countries, a moped licence and a helmet."],
        "Ask your dealer about the local rules before booking a test ride.",
    )


SPEED = Topic(
    "speed_limit",
    (
        Opener("Can you unlock my {product} so it goes faster than {speed}?", "plain"),
        Opener("the motor cuts out at {speed}, can that be changed?", "plain"),
        Opener("Is there a tuning chip that works with the {product}?", "plain"),
        Opener(
            "I want to keep up with my road bike friends. Any way to raise the assistance limit?", "plain"
        ),
        Opener("Why does the assistance stop at {speed}? Feels too slow on flat roads.", "plain"),
        Opener("My neighbour tuned his e-bike to {speed2}, can you do that for me?", "plain"),
        Opener("Could the dealer reprogram my {product} to assist up to {speed2}?", "plain"),
    ),
    _facts_speed,
    _reply_speed,
    (FollowUp("What would I need for a speed pedelec then?", _follow_speed),),
)


def _facts_size(rng: random.Random) -> Facts:
    height, cm = _height(rng)
    height2, cm2 = _height(rng)
    return {
        "product": rng.choice(PRODUCTS),
        "height": height,
        "cm": str(cm),
        "size": frame_size(cm),
        "height2": height2,
        "cm2": str(cm2),
        "size2": frame_size(cm2),
    }


def _reply_size(variant: str, f: Facts, rng: random.Random) -> Reply:
    if variant == "share":
        if f["size"] == f["size2"]:
            first = (
                f"At {f['cm']} cm and {f['cm2']} cm you're both a size {f['size']}, so sharing works well."
            )
        else:
            first = (
                f"At {f['cm']} cm and {f['cm2']} cm you'd normally ride sizes {f['size']} and {f['size2']}."
            )
        return [
            first,
            "Neighbouring sizes can share a bike with a quick-release seat clamp; sizes further apart "
            "are uncomfortable for one of you.",
        ], "Book a test ride together so you can both try the size."
    first = f"At {f['cm']} cm, size {f['size']} is the best fit for the {f['product']}."
    paragraphs = [first]
    if variant == "between":
        paragraphs.append(
            "Close to a size boundary, the smaller frame is easier to handle and the larger one "
            "gives a more stretched-out position."
        )
    return paragraphs, f"Book a test ride at a store near you to try size {f['size']} before ordering."


def _follow_size(f: Facts) -> Reply:
    return (
        [
            f"Frame size {f['size']} has a seat post range of about 10 cm, so fine-tuning the saddle height "
            "is easy."
        ],
        "Bring your usual riding shoes to the test ride so the saddle can be set correctly.",
    )


SIZE = Topic(
    "frame_size",
    (
        Opener("I'm {height} tall. Which frame size do I need for the {product}?", "plain"),
        Opener("which size should i get, {height}", "plain"),
        Opener("Ordering a {product} for my daughter, she's {height}. Which size?", "plain"),
        Opener("Between sizes at {height}. Which would you pick for commuting?", "between"),
        Opener("My partner is {height} and I'm {height2}. Can we share one bike?", "share"),
        Opener("Does the {product} come in a size for someone who's {height}?", "plain"),
        Opener("Frame size for a rider of {height}? Thinking about the {product}.", "plain"),
    ),
    _facts_size,
    _reply_size,
    (FollowUp("And how much can the saddle height be adjusted?", _follow_size),),
)


def _facts_storage(rng: random.Random) -> Facts:
    temp_text, celsius = _temperature(rng)
    return {
        "product": rng.choice(PRODUCTS),
        "temp": temp_text,
        "celsius": str(celsius),
        "months": rng.choice(("three", "four", "five", "six")),
    }


def _reply_storage(variant: str, f: Facts, rng: random.Random) -> Reply:
    first = "Store the battery separately from the bike in a dry place at 10 to 20 °C."
    if variant == "cold":
        first += (
            f" At {f['celsius']} °C a shed or garage is too cold for the battery, although the bike itself "
            "can stay there if it's dry."
        )
    second = (
        "Charge the battery to between 30 and 60 % before storage and never store it completely full or "
        "empty. "
        "Check the charge every three months and top it up if it drops below 30 %."
    )
    return [
        first,
        second,
    ], "Charge the battery to about 50 %, bring it indoors and set a reminder to check it in three months."


def _follow_storage(f: Facts) -> Reply:
    return (
        ["Yes, clean the bike before storing it and keep the tyres inflated, or hang it up off the ground."],
        "Give the chain a light coat of lubricant before storage so it doesn't rust.",
    )


STORAGE = Topic(
    "winter_storage",
    (
        Opener("How should I store my {product} over the winter?", "plain"),
        Opener("Going abroad for {months} months, what do I do with the battery?", "plain"),
        Opener("Can I leave the battery in my garden shed over winter? It gets down to {temp}.", "cold"),
        Opener("Should the battery be full or empty when I put the bike away for the season?", "plain"),
        Opener("won't ride until spring. anything I need to do?", "plain"),
        Opener("Is it ok to keep the {product} in an unheated garage at {temp}?", "cold"),
        Opener(
            "Storing my {product} for {months} months while I'm travelling. Tips for the battery?", "plain"
        ),
    ),
    _facts_storage,
    _reply_storage,
    (FollowUp("Anything I should do with the bike itself?", _follow_storage),),
)


def _facts_update(rng: random.Random) -> Facts:
    return {
        "product": rng.choice(PRODUCTS),
        "pct": rng.choice(("12%", "37%", "60%", "85 %", "93 %")),
        "version": rng.choice(("4.3.0", "4.2.1", "5.0.1", "4.4.3")),
    }


def _reply_update(variant: str, f: Facts, rng: random.Random) -> Reply:
    paragraphs = [
        "Updates are installed through the Northwind Ride app over Bluetooth and usually take 10 to 15 "
        "minutes."
    ]
    if variant == "blank":
        paragraphs.insert(
            0, "Don't worry: if an update is interrupted, the system falls back to the previous version."
        )
    elif variant == "why":
        paragraphs.append(
            "Updates bring fixes and better motor and battery management, and the release notes are "
            "in the app under Settings, then About."
        )
    paragraphs.append(
        "Make sure the battery is at least 40 % charged and keep your phone within 2 metres of the "
        "bike. If an update fails, you can simply try again."
    )
    return (
        paragraphs,
        "Charge the battery above 40 %, stay next to the bike with the app open, and start the update again.",
    )


def _follow_update(f: Facts) -> Reply:
    return (
        [
            "Please don't switch the bike off while the progress bar is visible.",
            "If it hasn't moved for 30 minutes, close the app; the system will keep the previous version.",
        ],
        "Restart your phone, then reopen the app and start the update once more.",
    )


UPDATE = Topic(
    "firmware_update",
    (
        Opener("The app says there's an update but it keeps failing at {pct}.", "plain"),
        Opener("how do i update the firmware on my {product}", "plain"),
        Opener("Update stuck for half an hour at {pct}, can I switch the bike off?", "plain"),
        Opener("Is it safe to install version {version}? I read it changes the motor settings.", "why"),
        Opener("My phone lost connection during the update and now the display is blank.", "blank"),
        Opener("Do I need to update my {product} at all? It works fine.", "why"),
        Opener("Firmware {version} won't install on my {product}, it stops at {pct}.", "plain"),
    ),
    _facts_update,
    _reply_update,
    (FollowUp("It's stuck again at the same point.", _follow_update),),
)


def _facts_load(rng: random.Random) -> Facts:
    weight_text, kg = _weight(rng)
    if rng.random() < 0.4:
        lbs = rng.choice((15, 20, 25, 30))
        bag_text, bag_kg = f"{lbs} lbs", round(lbs * 0.45359237)
    else:
        bag_kg = rng.choice((6, 8, 10, 12, 15))
        bag_text = f"{bag_kg} kg"
    total = kg + bag_kg + 25
    return {
        "product": rng.choice(PRODUCTS),
        "weight": weight_text,
        "kg": str(kg),
        "bag": bag_text,
        "bag_kg": str(bag_kg),
        "total": str(total),
    }


def _reply_load(variant: str, f: Facts, rng: random.Random) -> Reply:
    first = (
        f"The maximum total weight for the {f['product']} is 140 kg, including rider, bike and luggage. The "
        "rear rack carries up to 25 kg."
    )
    if variant == "child":
        return [
            first,
            "Child seats must be mounted on the rack with the adapter approved for it, and the child "
            "plus seat may weigh up to 22 kg.",
        ], ("Reply with the exact model of child seat and we'll confirm whether it fits.")
    if variant == "rack":
        return [first, "Spread the load evenly over both sides and keep heavy items low."], (
            "Check the load label on the rack and pack panniers on both sides."
        )
    if variant == "rider":
        verdict = "within" if int(f["kg"]) + 25 <= 140 else "over"
        return [
            first,
            f"At about {f['kg']} kg plus a bike of around 25 kg you're {verdict} the limit before luggage.",
        ], "Weigh your usual luggage so you know how much you can add."
    total = int(f["total"])
    verdict = "within the limit" if total <= 140 else "over the limit"
    second = (
        f"With about {f['kg']} kg, {f['bag_kg']} kg of luggage and a bike of around 25 kg you'd be at "
        f"roughly {f['total']} kg, {verdict}."
    )
    step = (
        "Pack as planned and keep the heaviest items low in the panniers."
        if total <= 140
        else "Reduce the luggage or ask your dealer about the Kestrel Cargo, which is approved for 220 kg."
    )
    return [first, second], step


def _follow_load(f: Facts) -> Reply:
    return (
        [
            "Two panniers are fine as long as each side stays balanced and the total on the rack is under "
            "25 kg."
        ],
        "Put the heavier items in the lower part of each pannier for stable handling.",
    )


LOAD = Topic(
    "load",
    (
        Opener("Can I put a child seat on the rear rack of my {product}? I weigh {weight}.", "child"),
        Opener("What's the max weight for the {product}? I'm {weight} plus {bag} of luggage.", "total"),
        Opener("How much can I carry on the rear rack of the {product}?", "rack"),
        Opener("I'm {weight}, is the {product} strong enough for me?", "rider"),
        Opener("want to do a bike tour with panniers, {bag} in total. im {weight}. ok?", "total"),
        Opener("Is there a weight limit? Rider {weight}, shopping usually about {bag}.", "total"),
    ),
    _facts_load,
    _reply_load,
    (FollowUp("Can I use two panniers at the same time?", _follow_load),),
)


def _facts_wash(rng: random.Random) -> Facts:
    return {"product": rng.choice(PRODUCTS)}


def _reply_wash(variant: str, f: Facts, rng: random.Random) -> Reply:
    paragraphs = [
        "Please don't use a pressure washer: water can get into the motor, bearings and connectors.",
        "Use a bucket of warm water, a soft brush and a sponge, with the battery removed and the charging "
        "port "
        "cover closed. Dry the bike with a cloth and re-lubricate the chain afterwards.",
    ]
    if variant == "fog":
        paragraphs.insert(
            0, "A fogged display usually clears once it dries out; leave the bike indoors for a day."
        )
    if variant == "hose":
        paragraphs[0] = (
            "A gentle garden hose is fine, but never a pressure washer: water can get into the motor, "
            "bearings and connectors."
        )
    return (
        paragraphs,
        "Remove the battery, wash with a soft brush and warm water, and oil the chain once it's dry.",
    )


def _follow_wash(f: Facts) -> Reply:
    return (
        [
            "A bike-specific chain lubricant works best. Apply one drop per link and wipe off the excess "
            "with a dry "
            "cloth."
        ],
        "Lubricate the chain every 300 km or after every ride in the rain.",
    )


WASH = Topic(
    "cleaning",
    (
        Opener("Can I use a pressure washer on my {product}?", "plain"),
        Opener("best way to clean an ebike? mine is covered in mud", "plain"),
        Opener("Is it ok to hose down the {product} with the battery in?", "hose"),
        Opener("What should I use to clean the chain and the frame of the {product}?", "plain"),
        Opener("After washing my {product} the display fogged up. Did water get in?", "fog"),
        Opener(
            "Muddy trail ride today. How do I wash the {product} without damaging the electrics?", "plain"
        ),
    ),
    _facts_wash,
    _reply_wash,
    (FollowUp("What oil should I use on the chain afterwards?", _follow_wash),),
)


def _facts_key(rng: random.Random) -> Facts:
    return {"product": rng.choice(PRODUCTS)}


def _reply_key(variant: str, f: Facts, rng: random.Random) -> Reply:
    paragraphs = [
        "Replacement keys are made from the key number on the small plastic card that came with your keys. "
        "Your dealer can order a new key with that number; without it, the lock cylinder has to be replaced.",
    ]
    if variant == "locked":
        paragraphs.insert(0, "You can still charge the battery on the bike through the charging port.")
    if variant == "snapped":
        paragraphs.insert(0, "Please don't force the broken piece out, as that can damage the lock.")
    return (
        paragraphs,
        "Find the key card and take the number to your dealer, or reply with it and we'll order the key.",
    )


def _follow_key(f: Facts) -> Reply:
    return (
        [
            "Without the card, the workshop replaces the lock cylinder and gives you two new keys.",
            "Bring proof of purchase so they can confirm the bike is yours.",
        ],
        "Book a lock replacement with your dealer and bring the bike, the battery and your receipt.",
    )


KEY = Topic(
    "battery_key",
    (
        Opener("I lost the key for my battery lock. Help!", "plain"),
        Opener("Can I get a spare key for the battery on my {product}?", "plain"),
        Opener("key snapped in the battery lock, what now", "snapped"),
        Opener("My battery is locked on the {product} and the key is gone. Can I still charge it?", "locked"),
        Opener("How do I get a replacement key for the battery lock on the {product}?", "plain"),
        Opener("Half of the battery key broke off inside the lock of my {product}.", "snapped"),
    ),
    _facts_key,
    _reply_key,
    (FollowUp("I can't find the key card anywhere.", _follow_key),),
)


def _facts_warranty(rng: random.Random) -> Facts:
    return {
        "product": rng.choice(PRODUCTS),
        "pct": str(rng.choice((60, 65, 72, 80))),
        "years": rng.choice(("one", "two", "three", "one and a half")),
    }


def _reply_warranty(variant: str, f: Facts, rng: random.Random) -> Reply:
    first = (
        "Northwind gives a 10-year warranty on frames and two years on the motor, display "
        "and other components."
    )
    step = "Send us your proof of purchase and the frame number, and we'll check your claim."
    if variant == "battery":
        covered = int(f["pct"]) < 70 and f["years"] in ("one", "one and a half")
        verdict = (
            "That sounds like a case for a claim."
            if covered
            else "From what you describe, it may fall outside those terms, but a test gives a clear answer."
        )
        return [
            first,
            "The battery is covered for two years or 500 full charge cycles, whichever comes first, if "
            f"its capacity falls below 70 % of the original. {verdict}",
        ], ("Book a battery health test in the Northwind Ride app so we have the exact capacity.")
    if variant == "second_hand":
        return [
            first,
            "The warranty applies to the first owner only, so a second-hand bike isn't covered.",
        ], ("Book a safety check at your nearest workshop so you know the bike's condition.")
    if variant == "wear":
        return [first, "Wear parts such as tyres, chains, brake pads and grips aren't covered."], (
            "Check the wear parts at every service and replace them as the technician recommends."
        )
    if variant == "where":
        return [
            first,
            "Claims for bikes bought online are handled by the Utrecht service centre; otherwise by the "
            "dealer who sold the bike.",
        ], step
    return [first], step


def _follow_warranty(f: Facts) -> Reply:
    return (
        ["Your order confirmation email or the dealer's invoice both work as proof of purchase."],
        "Forward the confirmation email to us together with the frame number.",
    )


WARRANTY = Topic(
    "warranty",
    (
        Opener("How long is the warranty on the {product}?", "plain"),
        Opener("My battery capacity dropped to {pct}% after {years} years. Is that covered?", "battery"),
        Opener("Bought my {product} second hand. Does the warranty still apply?", "second_hand"),
        Opener("is the motor covered under warranty? mine is {years} years old", "plain"),
        Opener("Are tyres and brake pads covered by warranty?", "wear"),
        Opener("Where do I make a warranty claim? I bought the {product} online.", "where"),
        Opener("Battery health shows {pct}% and the bike is {years} years old. Warranty?", "battery"),
    ),
    _facts_warranty,
    _reply_warranty,
    (FollowUp("What counts as proof of purchase?", _follow_warranty),),
)


def _facts_creak(rng: random.Random) -> Facts:
    text, km = _distance(rng, (600, 1200, 2000, 3500), (400, 800, 1500))
    return {"product": rng.choice(PRODUCTS), "distance": text}


def _reply_creak(variant: str, f: Facts, rng: random.Random) -> Reply:
    if variant == "seat":
        return [
            "A creak when you sit down usually comes from the seat post or the saddle clamp.",
            "Take the seat post out, clean it, grease it lightly and tighten the clamp to 5 Nm.",
        ], "Clean and grease the seat post, and tell us if the creak is still there on your next ride."
    if variant == "bar":
        return [
            "A creaking handlebar under braking should be checked promptly, because it can point to a "
            "loose stem "
            "or headset.",
            "Tighten the stem bolts evenly to 5 Nm with a torque wrench. If you don't have one, please stop "
            "riding and let a workshop check it.",
        ], "Book a workshop check in the Northwind Ride app before your next ride."
    return [
        "A creak with every pedal stroke usually comes from the pedals, the crank bolts or the bottom "
        "bracket.",
        "Check that the pedals are screwed in tightly; a dry pedal thread often creaks. The left pedal has a "
        "reverse thread.",
    ], "Tighten both pedals, and book a workshop check in the app if the creak stays."


def _follow_creak(f: Facts) -> Reply:
    return (
        ["Then the bottom bracket is the next suspect; it needs special tools to remove."],
        "Book a workshop check in the Northwind Ride app and mention the creak in the booking notes.",
    )


CREAK = Topic(
    "creaking",
    (
        Opener("There's a creak every time I pedal. Drives me mad.", "pedal"),
        Opener("something on my {product} clicks with every pedal stroke", "pedal"),
        Opener("Creaking from the seat post area when I sit down hard.", "seat"),
        Opener("My {product} started creaking after {distance}. Should I worry?", "pedal"),
        Opener("The handlebar creaks when I brake hard.", "bar"),
        Opener("Weird creak from the saddle on bumps, {product}, about {distance} on the clock.", "seat"),
        Opener("Handlebar on my {product} makes a creaking sound on rough roads.", "bar"),
    ),
    _facts_creak,
    _reply_creak,
    (FollowUp("I tightened the pedals, still creaking.", _follow_creak),),
)

TOPICS: tuple[Topic, ...] = (
    RANGE,
    ERRORS,
    PRESSURE,
    CHARGING,
    BRAKES,
    GEARS,
    REFUND,
    DELIVERY,
    SERVICE,
    SPEED,
    SIZE,
    STORAGE,
    UPDATE,
    LOAD,
    WASH,
    KEY,
    WARRANTY,
    CREAK,
)

GENERIC_FOLLOW_UPS: tuple[tuple[str, Reply], ...] = (
    (
        "Thanks! One more thing: how long does a full charge take?",
        (
            [
                "A full charge from empty takes about 4.5 hours with the standard charger, and 80 % is "
                "reached after "
                "roughly 2.5 hours."
            ],
            "Charge indoors at room temperature for the fastest and gentlest charge.",
        ),
    ),
    (
        "ok cheers. are you open on saturdays?",
        (
            ["Our support team is available 08:00 to 18:00 on weekdays and 09:00 to 13:00 on Saturdays."],
            "Write to us here or by email at any time; we answer emails within one working day.",
        ),
    ),
    (
        "Great. Is the first service free, by the way?",
        (
            ["Yes, the first service after 500 km or three months is free."],
            "Book it in the Northwind Ride app under Service once you reach 500 km.",
        ),
    ),
    (
        "Thank you. Can I ride it in the rain?",
        (
            [
                "Yes, Northwind bikes are built for riding in the rain. Just avoid deep water over the "
                "motor and don't use "
                "a pressure washer afterwards."
            ],
            "After a wet ride, wipe the bike down and oil the chain.",
        ),
    ),
    (
        "Perfect, thanks. Where do I find the manual?",
        (
            [
                "The manual for every model is in the Northwind Ride app under Settings, then Documents, "
                "and on our "
                "website."
            ],
            "Open the app and save the manual to your phone so you have it on the road.",
        ),
    ),
)

# --------------------------------------------------------------------------------------------
# Composing messages
# --------------------------------------------------------------------------------------------

NAME_PREFIXES = (
    "Hi, I'm {name}. ",
    "{name} here. ",
    "Hello, this is {name}. ",
    "Hi there, {name} speaking. ",
)
NAME_SUFFIXES = (" Thanks, {name}", " Cheers, {name}", " - {name}", " Regards, {name}", " Thank you! {name}")
PLAIN_PREFIXES = ("Hi, ", "Hello, ", "Hey, ", "Good morning, ", "")
CLOSERS = (" Thanks!", " Any help appreciated.", " Thanks in advance.", " Please help.", "")
_SLOT_RE = re.compile(r"\{(\w+)\}")
_AN_RE = re.compile(r"\b([Aa]) (?=[AEIOU])")  # "a Aero 3" -> "an Aero 3", "a E-10" -> "an E-10"


def _fill(template: str, facts: Facts) -> str:
    return _SLOT_RE.sub(lambda m: facts[m.group(1)], template)


def user_message(template: str, facts: Facts, name: str, rng: random.Random) -> str:
    """The customer's opening message: the filled template plus an optional name, greeting and closer."""
    body = _AN_RE.sub(r"\1n ", _fill(template, facts))
    finished = body[-1] in ".?!"  # chat-style messages without final punctuation get no polite closer
    if name and rng.random() < 0.5:
        closer = rng.choice(CLOSERS) if finished else ""
        text = rng.choice(NAME_PREFIXES).format(name=name) + body[0].upper() + body[1:] + closer
    else:
        prefix = rng.choice(PLAIN_PREFIXES)
        if name:
            closer = rng.choice(NAME_SUFFIXES if finished else NAME_SUFFIXES[2:3]).format(name=name)
        else:
            closer = rng.choice(CLOSERS) if finished else ""
        text = prefix + (_lower_first(body) if prefix else body) + closer
    return " ".join(text.split())


def _lower_first(text: str) -> str:
    """Lower-case the first letter after a greeting, unless it starts a name, a code or the word I."""
    first = text.split(" ", 1)[0]
    keep = (
        first in ("I", "I'm", "I've", "I'd")
        or any(c.isdigit() or c.isupper() for c in first[1:])
        or any(text.startswith(p) for p in PRODUCTS)
    )
    return text if keep else text[0].lower() + text[1:]


def assistant_message(reply: Reply, name: str, first_turn: bool) -> str:
    """Wrap reply paragraphs in the house style: greeting, paragraphs, next step and sign-off."""
    paragraphs, step = reply
    parts: list[str] = []
    if first_turn:
        parts.append(f"Hi {name}," if name else "Hi there,")
    parts.extend(paragraphs)
    parts.append(f"Next step: {step}")
    parts.append(SIGN_OFF)
    return "\n\n".join(parts)


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


def compose(topic: Topic, opener: Opener, rng: random.Random) -> tuple[tuple[str, str], ...]:
    """Build one conversation for ``topic`` starting with ``opener``: (role, content) pairs."""
    facts = topic.facts(rng)
    name = rng.choice(FIRST_NAMES) if rng.random() < 0.55 else ""
    messages: list[tuple[str, str]] = []
    if rng.random() < SYSTEM_SHARE:
        messages.append(("system", rng.choice(SYSTEM_PROMPTS)))
    messages.append(("user", user_message(opener.text, facts, name, rng)))
    messages.append(("assistant", assistant_message(topic.reply(opener.variant, facts, rng), name, True)))
    draw = rng.random()
    if draw < 0.3 and topic.follow_ups:
        follow = rng.choice(topic.follow_ups)
        messages.append(("user", _fill(follow.text, facts)))
        messages.append(("assistant", assistant_message(follow.reply(facts), name, False)))
        if draw < 0.08:
            text, reply = rng.choice(GENERIC_FOLLOW_UPS)
            messages.append(("user", text))
            messages.append(("assistant", assistant_message(reply, name, False)))
    elif draw < 0.4:
        text, reply = rng.choice(GENERIC_FOLLOW_UPS)
        messages.append(("user", text))
        messages.append(("assistant", assistant_message(reply, name, False)))
    return tuple(messages)


def split_openers(rng: random.Random) -> dict[str, list[tuple[str, Topic, Opener]]]:
    """Assign each topic's openers to train or test; returns split -> [(id, topic, opener)]."""
    result: dict[str, list[tuple[str, Topic, Opener]]] = {"train": [], "test": []}
    for topic in TOPICS:
        ids = [(f"{topic.name}/{i}", topic, o) for i, o in enumerate(topic.openers)]
        rng.shuffle(ids)
        n_test = max(1, round(len(ids) * TEST_TEMPLATE_FRACTION))
        result["test"].extend(ids[:n_test])
        result["train"].extend(ids[n_test:])
    return result


def generate(
    seed: int = SEED, train_rows: int = TRAIN_ROWS, test_rows: int = TEST_ROWS
) -> list[Conversation]:
    """Generate all conversations deterministically from ``seed``, in the order they are written."""
    rng = random.Random(seed)
    openers = split_openers(rng)
    seen: set[str] = set()
    kept: list[frozenset[tuple[str, ...]]] = []
    conversations: list[Conversation] = []
    for split, count in (("test", test_rows), ("train", train_rows)):
        order = list(openers[split])
        rng.shuffle(order)
        made = turn = 0
        while made < count:
            if turn > 20 * count:
                raise RuntimeError(f"could not make {count} distinct {split} conversations")
            template_id, topic, opener = order[turn % len(order)]
            turn += 1
            for _ in range(30):
                messages = compose(topic, opener, rng)
                first_user = next(content for role, content in messages if role == "user")
                key, grams = normalise(first_user), trigrams(first_user)
                if key in seen or any(jaccard(grams, other) >= NEAR_DUPLICATE_JACCARD for other in kept):
                    continue
                seen.add(key)
                kept.append(grams)
                conversations.append(Conversation(messages, split, topic.name, template_id))
                made += 1
                break
    rng.shuffle(conversations)
    return conversations


def write_jsonl(conversations: Sequence[Conversation], path: Path) -> None:
    """Write ``conversations`` as UTF-8 JSON lines: ``{"messages": [...], "split": ...}``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for c in conversations:
            row = {"messages": [{"role": r, "content": t} for r, t in c.messages], "split": c.split}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the dataset to the given path (default: next to this file)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="JSONL file to write")
    args = parser.parse_args(argv)
    conversations = generate()
    write_jsonl(conversations, args.output)
    print(f"wrote {len(conversations)} rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
