"""Generate the synthetic example dataset ``examples/summarization_incidents.jsonl``.

Abstractive summarisation of internal notes at *Northwind Cycles*, a made-up e-bike maker: IT incident
reports, customer call notes and meeting minutes, each paired with a one- or two-sentence summary in a
fixed house style. The project wrote every template; nothing is real or copied from a public dataset.

Run ``python examples/make_summarization.py`` to rewrite the file next to this script, or pass an output
path as the first argument. The output is byte-identical on every run: everything random comes from one
``random.Random`` seeded with :data:`SEED`. Only the standard library is used.

For every row a set of facts is drawn first (service, cause, fix, impact…; or customer, problem,
outcome…; or team, decisions, action item…). The document is written from those facts in one of several
layouts with varied wording and some irrelevant detail; the summary is written from the same facts, so
it never states anything the document does not. Documents are 80–300 words, summaries 15–45 words; both
documents and summaries are unique.
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

SEED = 20240720
ROWS_PER_KIND = {"incident": 60, "call": 45, "meeting": 35}
TEST_FRACTION = 0.2
DOC_WORDS = (80, 300)
SUMMARY_WORDS = (15, 45)
MIN_SUPPORT = 0.7  # share of summary words (longer than 3 letters) that must occur in the document
NEAR_DUPLICATE_JACCARD = 0.8
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "summarization_incidents.jsonl"


class Pair(NamedTuple):
    """One generated row plus the kind of note it is (the kind is not written out)."""

    document: str
    summary: str
    split: str
    kind: str


# --------------------------------------------------------------------------------------------
# Shared slot values
# --------------------------------------------------------------------------------------------

STAFF = (
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
    "Declan Walsh",
    "Aisha Bello",
    "Tomasz Zielinski",
    "Marta Lindqvist",
    "Lucas Dubois",
)
CUSTOMERS = (
    "Anna Keller",
    "Tom Whitfield",
    "Jürgen Bauer",
    "Fatima El Idrissi",
    "Sam Okafor",
    "Grace Adeyemi",
    "Dmitri Ivanov",
    "Eva Lindström",
    "Pieter de Vries",
    "Lotte Jansen",
    "Carlos Mendes",
    "Ines Duarte",
    "Henrik Olsen",
    "Mira Kovač",
    "Ben Carter",
    "Noor Haddad",
    "Elif Demir",
    "Rosa Ferrer",
)
DATES = (
    "12 March",
    "3 May",
    "14 June",
    "2 October",
    "21 November",
    "9 January",
    "28 February",
    "17 July",
    "30 August",
    "5 September",
    "19 April",
    "8 December",
    "25 June",
    "11 February",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
PRODUCTS = ("Aero 3", "Aero 5", "Kestrel Cargo", "Strada 7", "Strada 9", "Lark Fold", "Nimbus Trail")
CITIES = ("Utrecht", "Leeds", "Graz", "Bristol", "Lyon", "Ghent", "Freiburg", "Aarhus", "Cork", "Bremen")


# --------------------------------------------------------------------------------------------
# Incident reports
# --------------------------------------------------------------------------------------------


class Service(NamedTuple):
    """A system that can fail: its name, what it affects and which symptoms fit it."""

    name: str
    unit: str
    kind: str


class Cause(NamedTuple):
    """A root cause with its fix and follow-up; ``only`` limits it to the services it can plausibly hit."""

    cause: str
    fix: str
    follow_up: str
    only: tuple[str, ...] = ()


SERVICES = (
    Service("checkout service", "customers", "web"),
    Service("Northwind Ride app login", "riders", "login"),
    Service("dealer portal", "dealers", "web"),
    Service("warranty claims API", "claims", "web"),
    Service("bike-finder search on the website", "visitors", "web"),
    Service("firmware update server", "riders", "web"),
    Service("payment gateway integration", "orders", "web"),
    Service("fleet telemetry pipeline", "bikes", "pipeline"),
    Service("order confirmation email service", "orders", "pipeline"),
    Service("warehouse label printing service", "parcels", "pipeline"),
    Service("stock sync to the dealer shops", "dealers", "pipeline"),
)
SYMPTOMS = {
    "web": (
        ("returning HTTP 503 errors", "returned HTTP 503 errors"),
        ("timing out for most requests", "timed out for most requests"),
        ("failing for about a third of requests", "failed for about a third of requests"),
        ("responding very slowly, with page loads above 20 seconds", "responded very slowly"),
    ),
    "login": (
        ("rejecting valid logins and sessions", "rejected valid logins and sessions"),
        ("timing out for most requests", "timed out for most requests"),
        ("logging riders out every few minutes", "logged riders out every few minutes"),
    ),
    "pipeline": (
        ("processing nothing and queueing every message", "stopped processing messages"),
        ("falling more than two hours behind", "fell more than two hours behind"),
        ("dropping about one message in five", "dropped about one message in five"),
        ("sending duplicate records downstream", "sent duplicate records downstream"),
    ),
}
CAUSES = (
    Cause(
        "an expired TLS certificate on the load balancer",
        "renewed the certificate",
        "add automated expiry alerts for all certificates",
    ),
    Cause(
        "a database migration that locked the orders table",
        "rolled back the migration",
        "run schema migrations against a replica first",
        (
            "checkout service",
            "payment gateway integration",
            "order confirmation email service",
            "dealer portal",
        ),
    ),
    Cause(
        "a full disk on the primary database server",
        "cleared old log files and extended the volume",
        "alert when disk usage passes 80 percent",
    ),
    Cause(
        "a faulty change to the DNS records",
        "reverted the DNS change",
        "require a second reviewer for DNS changes",
    ),
    Cause(
        "a memory leak introduced in release {release}",
        "rolled back to the previous release",
        "add a memory soak test to the release checklist",
    ),
    Cause(
        "an outage at the cloud provider in the Frankfurt region",
        "failed over to the Amsterdam region",
        "practise the regional failover every quarter",
    ),
    Cause(
        "an expired API key for the payment provider",
        "issued a new API key",
        "track key expiry dates in the secrets inventory",
        ("checkout service", "payment gateway integration"),
    ),
    Cause(
        "a spike in bot traffic from a price-scraping service",
        "blocked the offending IP ranges and enabled rate limiting",
        "keep rate limiting switched on permanently",
        ("checkout service", "bike-finder search on the website", "dealer portal", "warranty claims API"),
    ),
    Cause(
        "a message broker that ran out of connections",
        "restarted the brokers and raised the connection limit",
        "add a dashboard for broker connections",
    ),
    Cause(
        "a misconfigured feature flag",
        "switched the feature flag off",
        "test feature flag changes in staging first",
    ),
    Cause(
        "a network switch failure in the Utrecht data room",
        "moved traffic to the backup switch",
        "replace the ageing switches before winter",
    ),
)
DETECTIONS = (
    "an automated error-rate alert",
    "a customer post on social media",
    "a rise in support chats",
    "a failed synthetic check",
    "a dealer phoning the service desk",
    "the latency dashboard",
)
INCIDENT_NOISE = (
    "The status page was updated at {t2}.",
    "No customer data was lost or exposed.",
    "Customer support received a short script to answer questions.",
    "The incident channel stayed open for another hour to monitor recovery.",
    "Monitoring showed normal traffic levels for the rest of the day.",
    "A separate, unrelated warning about backup jobs was investigated and closed.",
    "The weekly deploy freeze was extended by one day as a precaution.",
    "Thanks to {helper} for joining the call at short notice.",
    "Dealers were informed by email once the service was stable.",
    "Several alerts fired at once, which slowed down the first diagnosis.",
)


def _clock(rng: random.Random) -> tuple[int, int]:
    return rng.randint(6, 21), rng.randint(0, 59)


def _fmt(h: int, m: int) -> str:
    return f"{h % 24:02d}:{m:02d}"


def _plus(h: int, m: int, minutes: int) -> tuple[int, int]:
    total = h * 60 + m + minutes
    return (total // 60) % 24, total % 60


def _count(rng: random.Random) -> str:
    n = rng.choice((40, 85, 120, 260, 340, 600, 900, 1200, 1500, 2300, 3100, 4800))
    return f"{n:,}"


def make_incident(rng: random.Random) -> tuple[str, str]:
    """Draw one incident and return ``(document, summary)``."""
    service = rng.choice(SERVICES)
    symptom_doc, symptom_sum = rng.choice(SYMPTOMS[service.kind])
    cause = rng.choice([c for c in CAUSES if not c.only or service.name in c.only])
    release = f"{rng.randint(3, 5)}.{rng.randint(0, 19)}"
    cause_text = cause.cause.format(release=release)
    detection = rng.choice(DETECTIONS)
    date = rng.choice(DATES)
    inc = f"INC-{rng.randint(1000, 9999)}"
    engineer, helper, owner = rng.sample(STAFF, 3)
    duration = rng.choice((14, 23, 31, 38, 47, 52, 64, 75, 88, 95, 118, 140, 185, 230))
    impact = _count(rng)
    unit = service.unit
    severity = (
        "SEV-1" if duration > 100 and service.kind == "web" else ("SEV-2" if duration > 30 else "SEV-3")
    )
    h, m = _clock(rng)
    start = _fmt(h, m)
    t_detect = _fmt(*_plus(h, m, rng.randint(2, 6)))
    t_channel = _fmt(*_plus(h, m, rng.randint(7, 12)))
    t_cause = _fmt(*_plus(h, m, max(13, duration - rng.randint(5, 12))))
    end = _fmt(*_plus(h, m, duration))
    t2 = _fmt(*_plus(h, m, rng.randint(13, 20)))
    noise = [n.format(t2=t2, helper=helper) for n in rng.sample(INCIDENT_NOISE, rng.randint(1, 3))]
    svc = service.name
    svc_cap = svc[0].upper() + svc[1:]

    layout = rng.randrange(3)
    if layout == 0:
        opener = rng.choice(
            (
                f"On {date} at {start} the {svc} started {symptom_doc}.",
                f"At {start} on {date}, the {svc} began {symptom_doc}.",
            )
        )
        detected = rng.choice(
            (
                f"The problem was detected through {detection}, and {engineer} opened an incident channel "
                f"at {t_channel}.",
                f"{engineer}, who was on call, picked it up after {detection} at {t_detect}.",
            )
        )
        impact_line = rng.choice(
            (
                f"Impact: about {impact} {unit} were affected during the {duration} minutes of disruption.",
                f"Impact: roughly {impact} {unit} affected; total duration {duration} minutes.",
            )
        )
        body = [
            f"Incident report {inc} ({severity})",
            f"Date: {date}",
            f"What happened: {opener} {detected}",
            impact_line,
            f"Root cause: {rng.choice(('The failure was caused by', 'The trigger was'))} {cause_text}.",
            f"Resolution: The team {cause.fix} at {end}, after which the service recovered. "
            f"{' '.join(noise)}",
            f"Follow-up: {cause.follow_up[0].upper() + cause.follow_up[1:]} (owner: {owner}).",
        ]
        document = "\n".join(body)
    elif layout == 1:
        greeting = rng.choice(("Hi all,", "Hello everyone,", "Hi team,"))
        intro = rng.choice(
            (
                f"here is a quick write-up of the {svc} incident on {date} ({inc}).",
                f"a short summary of {inc}, the {svc} problem from {date}.",
            )
        )
        story = rng.choice(
            (
                f"At {start} the {svc} started {symptom_doc}. We noticed it through {detection} a few "
                f"minutes later.",
                f"We found out through {detection}: from {start} the {svc} kept {symptom_doc}.",
            )
        )
        diagnosis = rng.choice(
            (
                f"After some digging, the cause turned out to be {cause_text}.",
                f"By {t_cause} we had found the culprit: {cause_text}.",
            )
        )
        recovery = (
            f"We {cause.fix} at {end}, so the outage lasted {duration} minutes in total. "
            f"Roughly {impact} {unit} were affected."
        )
        action = rng.choice(
            (
                f"As a follow-up, {owner} will {cause.follow_up}.",
                f"Action item for {owner}: {cause.follow_up}.",
            )
        )
        sign = rng.choice(("Thanks,", "Cheers,", "Best,"))
        paragraphs = [
            f"{greeting}\n\n{intro[0].upper() + intro[1:]}",
            f"{story} {diagnosis}",
            f"{recovery} {' '.join(noise)} {action}",
            f"{sign}\n{engineer.split()[0]}",
        ]
        document = "\n\n".join(paragraphs)
    else:
        lines = [
            f"{inc} timeline — {svc}, {date} (all times CET)",
            f"{start} {svc_cap} starts {symptom_doc}.",
            f"{t_detect} {detection[0].upper() + detection[1:]} triggers the incident process.",
            f"{t_channel} {engineer} takes incident command; severity set to {severity}.",
        ]
        if rng.random() < 0.5:
            lines.append(f"{t2} Status page updated; support informed.")
        lines += [
            f"{t_cause} Cause identified: {cause_text}.",
            f"{end} The team {cause.fix}; error rates back to normal.",
            f"Impact: about {impact} {unit}; duration {duration} minutes.",
            f"Notes: {' '.join(noise)}",
            f"Action item ({owner}): {cause.follow_up}.",
        ]
        document = "\n".join(lines)

    short = f"On {date}, the {svc} {symptom_sum} for {duration} minutes because of {cause_text}."
    fix = f"The team {cause.fix} and will {cause.follow_up}."
    if rng.random() < 0.5:
        summary = f"{short} {fix}"
    else:
        summary = (
            f"{severity} incident on {date}: the {svc} {symptom_sum} for {duration} minutes, affecting "
            f"about {impact} "
            f"{unit}, because of {cause_text}; the team {cause.fix}."
        )
    if len(summary.split()) > SUMMARY_WORDS[1]:
        summary = f"{short} The team {cause.fix}."
    return document, summary


# --------------------------------------------------------------------------------------------
# Customer call notes
# --------------------------------------------------------------------------------------------


class Problem(NamedTuple):
    """A customer problem: how it is described, what was tried and the possible outcomes."""

    issue: str
    detail: str
    tried: tuple[str, ...]
    outcomes: tuple[str, ...]


PROBLEMS = (
    Problem(
        "error E-10 on the display of their {product}",
        "The error appears a few seconds after setting off and the assistance then cuts out.",
        ("realigning the spoke magnet", "checking the speed sensor cable"),
        (
            "the error cleared after the spoke magnet was realigned",
            "a workshop appointment was booked for {day}",
            "a new speed sensor will be sent to the customer",
        ),
    ),
    Problem(
        "a {product} battery that no longer charges",
        "The charger LED stays red for hours but the battery level does not rise.",
        ("trying a different wall socket", "checking the charger LED", "cleaning the charging port"),
        (
            "a replacement charger will be sent to the customer",
            "the battery will be collected for a capacity test",
            "the battery charged normally again after the charging port was cleaned",
        ),
    ),
    Problem(
        "a squealing rear brake on their {product}",
        "The noise is loudest when braking downhill and started after a wet ride.",
        ("cleaning the rotor with isopropyl alcohol", "checking the brake pad thickness"),
        (
            "a brake service was booked for {day}",
            "the squeal stopped after the rotor was cleaned",
            "new brake pads will be sent to the customer",
        ),
    ),
    Problem(
        "range on their {product} that has dropped to about {km} km",
        "The bike used to manage well over 90 km in Eco mode on the same commute.",
        (
            "checking the tyre pressure",
            "installing the latest firmware",
            "checking the assistance level used",
        ),
        (
            "a battery health test was booked for {day}",
            "the customer will monitor range for two weeks after the firmware update",
            "the battery will be collected for a capacity test",
        ),
    ),
    Problem(
        "gears that skip under load on their {product}",
        "It happens mostly when pedalling hard uphill in the middle gears.",
        ("adjusting the cable tension with the barrel adjuster", "checking chain wear"),
        (
            "a workshop appointment was booked for {day}",
            "the skipping stopped after the cable tension was adjusted",
            "a new chain and cassette will be fitted at the next service",
        ),
    ),
    Problem(
        "a delayed delivery of their {product}, order {order}",
        "The original delivery date has passed and the tracking page has not changed for days.",
        ("checking the freight status with the carrier", "confirming the delivery address"),
        (
            "a new delivery date of {date} was confirmed",
            "the order was moved to express freight at no extra cost",
            "a goodwill voucher of 30 euros was offered for the delay",
        ),
    ),
    Problem(
        "the app not finding their {product} over Bluetooth",
        "The bike worked with the previous phone but not with the new one.",
        ("re-pairing the bike after resetting the display", "updating the Northwind Ride app"),
        (
            "the bike connected again after the display was reset",
            "the case was escalated to the app team",
            "a display replacement was booked for {day}",
        ),
    ),
    Problem(
        "a creaking noise from the bottom bracket of their {product}",
        "The creak comes with every pedal stroke and is worse in cold weather.",
        ("tightening the crank bolts", "checking the pedals"),
        (
            "a workshop appointment was booked for {day}",
            "the creak stopped after the crank bolts were tightened",
        ),
    ),
    Problem(
        "returning their {product} {days} days after delivery",
        "The customer finds the bike too heavy to carry up the stairs at home.",
        ("explaining the 14-day return window", "suggesting a lighter model as an exchange"),
        (
            "the case was passed to the returns team for a decision",
            "an exchange for a Lark Fold is being arranged",
        ),
    ),
    Problem(
        "a flickering headlight on their {product}",
        "The light flickers over bumps and sometimes switches off completely.",
        ("checking the connector under the stem", "switching the light on from the display"),
        (
            "a new headlight will be sent to the customer",
            "the flicker stopped after the connector was pushed back in",
            "a workshop appointment was booked for {day}",
        ),
    ),
    Problem(
        "a loose, rattling kickstand on their {product}",
        "The kickstand folds up by itself when the bike is loaded with shopping.",
        ("tightening the kickstand bolt", "checking the kickstand spring"),
        (
            "a replacement kickstand will be sent to the customer",
            "the rattle stopped after the kickstand bolt was tightened",
        ),
    ),
)
MOODS = (
    "The customer was friendly and patient throughout.",
    "The customer was frustrated at first but calmer by the end of the call.",
    "The customer sounded rushed and asked for a short call.",
    "The customer was polite but clearly disappointed.",
    "Very pleasant call overall.",
)
SIDE_NOTES = (
    "They also asked whether winter tyres fit the bike; I sent the accessory page.",
    "They mentioned being happy with the ride quality in general.",
    "They asked about the staff bike lease for a partner, which I could not help with.",
    "They would like to receive the newsletter again.",
    "They bought the bike second hand from a friend, with the original receipt.",
    "They had already searched the help centre before calling.",
    "They asked whether the first service is still free; it is.",
)


def make_call(rng: random.Random) -> tuple[str, str]:
    """Draw one customer call and return ``(document, summary)``."""
    customer = rng.choice(CUSTOMERS)
    agent = rng.choice(STAFF)
    product = rng.choice(PRODUCTS)
    problem = rng.choice(PROBLEMS)
    values = {
        "product": product,
        "day": rng.choice(WEEKDAYS),
        "km": str(rng.choice((28, 31, 35, 40, 44))),
        "order": f"NW-{rng.randint(100000, 999999)}",
        "date": rng.choice(DATES),
        "days": str(rng.choice((18, 20, 23, 26, 31))),
    }
    issue = problem.issue.format(**values)
    tried = rng.sample(problem.tried, rng.randint(1, len(problem.tried)))
    outcome = rng.choice(problem.outcomes).format(**values)
    date = rng.choice(DATES)
    city = rng.choice(CITIES)
    minutes = rng.randint(6, 24)
    mood = rng.choice(MOODS)
    side = rng.choice(SIDE_NOTES) if rng.random() < 0.6 else ""
    callback = rng.random() < 0.35
    callback_day = rng.choice(WEEKDAYS)
    tried_text = " and ".join(tried)
    next_step = f"Callback planned for {callback_day}." if callback else "No further contact planned."

    layout = rng.randrange(3)
    if layout == 0:
        lines = [
            f"Call note — {date}, agent {agent}",
            f"Customer: {customer}, {city}. Bike: {product}, bought {rng.randint(2, 30)} months ago.",
            f"Problem: customer called about {issue}. {problem.detail}",
            f"Troubleshooting: we went through {tried_text} together on the phone.",
            f"Outcome: {outcome}.",
            f"Next step: {next_step}",
            f"Other: {mood} {side}".rstrip(),
            f"Call length: {minutes} minutes.",
        ]
        document = "\n".join(lines)
    elif layout == 1:
        first = rng.choice(
            (
                f"{customer} from {city} called on {date} about {issue}.",
                f"Inbound call on {date}: {customer} ({city}) rang about {issue}.",
            )
        )
        middle = rng.choice(
            (
                f"{problem.detail} I walked the customer through {tried_text}.",
                f"According to the customer: {problem.detail[0].lower() + problem.detail[1:]} We tried "
                f"{tried_text}.",
            )
        )
        end = f"In the end {outcome}. {next_step}"
        extra = f"{mood} {side}".strip()
        document = f"{first} {middle}\n\n{end}\n\n{extra}\n\n— {agent}, {minutes} min call"
    else:
        bullets = [
            f"- date: {date}",
            f"- caller: {customer} ({city})",
            f"- bike: {product}",
            f"- reason: {issue}",
            f"- details: {problem.detail}",
            f"- tried: {tried_text}",
            f"- result: {outcome}",
            f"- follow-up: {next_step}",
            f"- notes: {mood} {side}".rstrip(),
        ]
        document = f"Support call ({agent})\n" + "\n".join(bullets)

    summary = f"{customer} called about {issue}; {outcome}."
    if callback:
        summary += f" A callback is planned for {callback_day}."
    return document, summary


# --------------------------------------------------------------------------------------------
# Meeting notes
# --------------------------------------------------------------------------------------------


class Team(NamedTuple):
    """A team, the decisions it may take, actions it may assign and topics it may postpone."""

    name: str
    decisions: tuple[str, ...]
    actions: tuple[str, ...]
    postponed: tuple[str, ...]


TEAMS = (
    Team(
        "workshop leads",
        (
            "move first services to a fixed 45-minute slot",
            "stock brake pads for all models in every workshop",
            "open the Leeds workshop on Saturdays from May",
            "stop accepting repairs on bikes older than ten years",
            "train two more technicians on belt drives",
            "use the new torque wrenches for all stem bolts",
        ),
        (
            "draft the new service checklist",
            "order the extra brake pads",
            "update the booking system slots",
            "plan the belt-drive training",
            "write to customers with open repairs",
        ),
        ("a second workshop van", "new uniforms", "the parts storage layout"),
    ),
    Team(
        "customer support team",
        (
            "answer urgent safety tickets within four hours",
            "add a Dutch-speaking agent to the late shift",
            "publish a help article on error code E-10",
            "close tickets automatically after seven days without reply",
            "send a satisfaction survey after every call",
            "move live chat to the new ticketing tool",
        ),
        (
            "write the E-10 help article",
            "update the chat macros",
            "recruit the late-shift agent",
            "set up the survey in the ticketing tool",
            "brief the team on the new priorities",
        ),
        ("weekend phone support", "a new headset budget", "chatbot pilots"),
    ),
    Team(
        "product team",
        (
            "delay the Aero 5 launch by two weeks",
            "add a walk-assist button to the new remote",
            "offer the Strada 9 in a smaller frame size",
            "drop the matte green colour from next season",
            "ship firmware 4.3 to all Aero 3 bikes",
            "test a larger battery for the Kestrel Cargo",
        ),
        (
            "inform the dealers about the new launch date",
            "order samples of the smaller frame",
            "prepare the firmware release notes",
            "update the product roadmap",
            "book the test track for the battery trials",
        ),
        ("a new saddle supplier", "the naming of the next model", "a kids' e-bike"),
    ),
    Team(
        "marketing team",
        (
            "focus the spring campaign on commuters",
            "run test-ride days in Utrecht and Ghent",
            "cut the print advertising budget by half",
            "launch a referral scheme for existing owners",
            "film three short repair videos",
            "translate the website into Danish",
        ),
        (
            "brief the video agency",
            "book the test-ride locations",
            "write the referral scheme terms",
            "plan the commuter campaign",
            "collect quotes for the Danish translation",
        ),
        ("a podcast sponsorship", "a new logo", "influencer partnerships"),
    ),
    Team(
        "warehouse team",
        (
            "move battery storage to the fire-safe room",
            "switch to recyclable packaging for accessories",
            "start the late shift at 14:00 instead of 15:00",
            "count stock every Friday afternoon",
            "hire two temporary packers for the spring peak",
            "label every returned bike with its inspection status",
        ),
        (
            "order the recyclable boxes",
            "update the shift rota",
            "post the temporary job advert",
            "print the inspection labels",
            "prepare the fire-safe room",
        ),
        ("a second forklift", "new shelving", "the canteen opening hours"),
    ),
)
DEADLINES = ("Friday", "next Monday", "the end of the month", "next week's meeting", "Wednesday", "15 May")


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def make_meeting(rng: random.Random) -> tuple[str, str]:
    """Draw one meeting and return ``(document, summary)``."""
    team = rng.choice(TEAMS)
    date = rng.choice(DATES)
    people = rng.sample(STAFF, rng.randint(3, 6))
    chair = people[0]
    decisions = rng.sample(team.decisions, 2)
    owner = rng.choice(people[1:])
    action = rng.choice(team.actions)
    deadline = rng.choice(DEADLINES)
    other_owner = rng.choice([p for p in people if p != owner])
    other_action = rng.choice([a for a in team.actions if a != action])
    postponed = rng.choice(team.postponed)
    absent = rng.choice([s for s in STAFF if s not in people])
    minutes = rng.choice((30, 45, 60, 75, 90))
    layout = rng.randrange(2)
    if layout == 0:
        lines = [
            f"Meeting notes — {team.name}, {date}",
            f"Attendees: {_join(people)}. Apologies: {absent}. Chair: {chair}.",
            f"Agenda: open proposals, {postponed}, any other business.",
            f"1. After some discussion the group agreed to {decisions[0]}.",
            f"2. Decision: {decisions[1]}. "
            f"{rng.choice(('Nobody objected.', 'Two people had concerns, noted.'))}",
            f"3. {postponed[0].upper() + postponed[1:]}: discussed, no decision yet; back on the agenda "
            "next month.",
            "Action items:",
            f"- {owner}: {action} by {deadline}",
            f"- {other_owner}: {other_action}",
            f"Meeting length: {minutes} minutes.",
        ]
        document = "\n".join(lines)
    else:
        document = (
            f"Minutes of the {team.name} meeting on {date}, chaired by {chair}. "
            f"Present were {_join(people[1:])}; {absent} sent apologies.\n\n"
            f"{rng.choice(('After a short discussion', 'Following the first agenda item,'))} the group "
            "agreed "
            f"to {decisions[0]}. "
            f"{rng.choice(('Next, the team decided to', 'It was also agreed to'))} {decisions[1]}. "
            f"There was a longer debate about {postponed}, but it was postponed until more information is "
            f"available.\n\n"
            f"Actions: {owner} will {action} by {deadline}, and {other_owner} will {other_action}. "
            f"The meeting ran for {minutes} minutes."
        )
    summary = rng.choice(
        (
            f"At the {date} {team.name} meeting, the group agreed to {decisions[0]} and to {decisions[1]}; "
            f"{owner} will {action} by {deadline}.",
            f"The {team.name} agreed on {date} to {decisions[0]} and to {decisions[1]}. {owner} will "
            f"{action} by {deadline}.",
        )
    )
    return document, summary


MAKERS: dict[str, Callable[[random.Random], tuple[str, str]]] = {
    "incident": make_incident,
    "call": make_call,
    "meeting": make_meeting,
}


# --------------------------------------------------------------------------------------------
# Checks and output
# --------------------------------------------------------------------------------------------


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


def support(summary: str, document: str) -> float:
    """Share of the summary's words longer than three letters that also occur in the document."""
    doc_words = set(re.findall(r"\w+", document.lower()))
    words = [w for w in re.findall(r"\w+", summary.lower()) if len(w) > 3]
    return sum(w in doc_words for w in words) / len(words) if words else 0.0


def generate(seed: int = SEED) -> list[Pair]:
    """Generate all pairs deterministically from ``seed``, in the (shuffled) order they are written."""
    rng = random.Random(seed)
    seen: set[str] = set()
    seen_summaries: set[str] = set()
    kept: list[frozenset[tuple[str, ...]]] = []
    pairs: list[Pair] = []
    for kind, count in ROWS_PER_KIND.items():
        n_test = round(count * TEST_FRACTION)
        made = attempts = 0
        while made < count:
            attempts += 1
            if attempts > 50 * count:
                raise RuntimeError(f"could not make {count} distinct {kind} documents")
            document, summary = MAKERS[kind](rng)
            n_doc, n_sum = len(document.split()), len(summary.split())
            if not (DOC_WORDS[0] <= n_doc <= DOC_WORDS[1] and SUMMARY_WORDS[0] <= n_sum <= SUMMARY_WORDS[1]):
                continue
            if support(summary, document) < MIN_SUPPORT:
                continue
            key, grams = normalise(document), trigrams(document)
            if key in seen or normalise(summary) in seen_summaries:
                continue
            if any(jaccard(grams, other) >= NEAR_DUPLICATE_JACCARD for other in kept):
                continue
            seen.add(key)
            seen_summaries.add(normalise(summary))
            kept.append(grams)
            pairs.append(Pair(document, summary, "test" if made < n_test else "train", kind))
            made += 1
    rng.shuffle(pairs)
    return pairs


def write_jsonl(pairs: Sequence[Pair], path: Path) -> None:
    """Write ``pairs`` as UTF-8 JSON lines with the keys document, summary and split."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for p in pairs:
            row = {"document": p.document, "summary": p.summary, "split": p.split}
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
