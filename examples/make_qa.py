"""Generate the synthetic example dataset ``examples/qa_handbook.jsonl``.

Extractive question answering (SQuAD v2 style) over short documents this project wrote for a made-up
company, *Northwind Cycles*: sections of its employee handbook, owner's manuals, workshop guide and
customer policies. Nothing is copied from a public dataset, and the company, people and rules are
fictional.

Run ``python examples/make_qa.py`` to rewrite the file next to this script, or pass an output path as
the first argument. The output is byte-identical on every run: everything random comes from one
``random.Random`` seeded with :data:`SEED`. Only the standard library is used.

Every document carries hand-written facts, each an answer span plus two or three phrasings of a
question about it; one phrasing is drawn per fact. Some documents also get one question that the text
does not answer (``answers`` empty). ``answer_start`` is the exact character offset of the answer in
``context``. The test split is held out by document: no test context is ever a train context.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

SEED = 20240719
TEST_QUESTION_FRACTION = 0.2
UNANSWERABLE_FRACTION = 0.1
NEAR_DUPLICATE_JACCARD = 0.8
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "qa_handbook.jsonl"


class Fact(NamedTuple):
    """An answer span in a document and several ways of asking for it.

    ``after`` is text that occurs before the answer in the context; the answer is searched from there,
    for answers whose words also appear earlier in the document.
    """

    answer: str
    questions: tuple[str, ...]
    after: str = ""


class Document(NamedTuple):
    """One short document with its answerable facts and one question it does not answer."""

    slug: str
    title: str
    context: str
    facts: tuple[Fact, ...]
    unanswerable: tuple[str, ...]


class Question(NamedTuple):
    """One generated row."""

    id: str
    title: str
    context: str
    question: str
    answer_texts: tuple[str, ...]
    answer_starts: tuple[int, ...]
    split: str


def _f(answer: str, *questions: str, after: str = "") -> Fact:
    return Fact(answer, questions, after)


DOCUMENTS: tuple[Document, ...] = (
    Document(
        "hb-hours",
        "Employee Handbook — Working hours",
        "Core working hours at Northwind Cycles are 10:00 to 15:00, Monday to Friday. Outside the core "
        "hours, office staff may start as early as 07:00 and finish as late as 20:00, as long as they work "
        "their contracted hours over the week. A standard full-time contract is 38 hours per week. "
        "Workshop technicians follow a shift rota instead of core hours; the rota is published every "
        "Thursday for the following week. Overtime must be approved in advance by your team lead and is "
        "paid at 125 percent of the normal hourly rate, or taken as time off in lieu within three months.",
        (
            _f(
                "10:00 to 15:00",
                "What are the core working hours?",
                "When do core hours run at Northwind?",
                "Between which times do office staff have to be at work?",
            ),
            _f(
                "07:00",
                "What is the earliest time office staff may start?",
                "How early can someone begin their working day?",
            ),
            _f(
                "38 hours per week",
                "How long is a standard full-time contract?",
                "How many hours does a full-timer work per week?",
            ),
            _f(
                "every Thursday",
                "When is the workshop shift rota published?",
                "On which day does the technicians' rota come out?",
            ),
            _f(
                "125 percent of the normal hourly rate",
                "At what rate is overtime paid?",
                "How much do you earn for an overtime hour?",
            ),
            _f(
                "within three months",
                "By when must time off in lieu be taken?",
                "How long do I have to use time off in lieu for overtime?",
            ),
        ),
        ("How long is the lunch break?", "Are night shifts paid extra?"),
    ),
    Document(
        "hb-leave",
        "Employee Handbook — Annual leave",
        "Full-time employees receive 27 days of paid annual leave per calendar year, plus public holidays. "
        "Part-time staff receive a pro-rata share based on their contracted hours. Leave requests are made "
        "in the HR portal and should be submitted at least two weeks before the first day off; requests "
        "for more than ten consecutive working days need four weeks' notice. Up to five unused days may be "
        "carried over into the next year, but they must be used by 31 March or they expire. Between April "
        "and June, the busiest season for bike sales, workshop staff may take no more than one week of "
        "leave at a time.",
        (
            _f(
                "27 days",
                "How many days of annual leave does a full-time employee get?",
                "What is the yearly holiday entitlement for full-time staff?",
            ),
            _f("in the HR portal", "Where do I request leave?", "How are holiday requests submitted?"),
            _f(
                "four weeks' notice",
                "How much notice is needed for more than ten days off in a row?",
                "If I want a three-week holiday, how far ahead must I ask?",
            ),
            _f(
                "five",
                "How many unused leave days can be carried over?",
                "What is the maximum number of holiday days I can take into next year?",
            ),
            _f(
                "31 March",
                "By what date must carried-over days be used?",
                "When do leftover holiday days from last year expire?",
            ),
            _f(
                "one week",
                "How much leave may workshop staff take at once in spring?",
                "What is the longest block of holiday a technician can take between April and June?",
            ),
        ),
        ("How many days of parental leave are employees entitled to?",),
    ),
    Document(
        "hb-sickness",
        "Employee Handbook — Sickness absence",
        "If you are ill and cannot work, call or message your team lead before 09:30 on the first day of "
        "absence; an email to the general HR inbox is not enough. You do not need a doctor's note for the "
        "first three calendar days. From the fourth day onwards, a medical certificate must be uploaded to "
        "the HR portal. During sickness absence you continue to receive full pay for up to six weeks. After "
        "a longer absence, HR will invite you to a return-to-work conversation, usually held on your first "
        "day back, to agree any adjustments such as shorter shifts or lighter workshop duties.",
        (
            _f(
                "before 09:30",
                "By what time must I report that I'm sick?",
                "What is the deadline for calling in sick on the first day?",
            ),
            _f(
                "your team lead",
                "Who should be told when you are ill?",
                "Whom do I contact if I can't come to work because I'm sick?",
            ),
            _f(
                "the fourth day",
                "From which day of illness is a medical certificate required?",
                "When do I need to provide a doctor's note?",
            ),
            _f(
                "up to six weeks",
                "For how long is full pay continued during sickness?",
                "How long do I keep getting my full salary while off sick?",
            ),
            _f(
                "a return-to-work conversation",
                "What does HR arrange after a long absence?",
                "What meeting happens when someone comes back after being ill for a long time?",
            ),
        ),
        ("Who pays sick pay after six weeks?",),
    ),
    Document(
        "hb-expenses",
        "Employee Handbook — Travel and expenses",
        "Business travel must be booked through the travel desk, which can be reached at "
        "travel@northwind.example. Train travel is preferred for journeys under 600 km; flights for shorter "
        "distances need written approval from a director. Hotel costs are reimbursed up to 140 euros per "
        "night in most cities and up to 190 euros per night in London, Paris and Zurich. Meals while "
        "travelling are covered by a flat daily allowance of 35 euros, so individual restaurant receipts "
        "are not required. Expense claims must be submitted in the finance app within 30 days of the trip, "
        "with photos of all receipts except meals.",
        (
            _f("the travel desk", "Who books business trips?", "Through whom must work travel be arranged?"),
            _f(
                "600 km",
                "Below what distance is the train preferred over flying?",
                "Up to how many kilometres should staff take the train?",
            ),
            _f(
                "190 euros per night",
                "What is the hotel limit in Paris?",
                "How much can I spend on a hotel room in London?",
            ),
            _f(
                "35 euros",
                "How large is the daily meal allowance?",
                "What do I get per day for food on a business trip?",
            ),
            _f(
                "within 30 days of the trip",
                "When must expense claims be submitted?",
                "What is the deadline for handing in travel expenses?",
            ),
        ),
        ("Can employees travel first class on trains?",),
    ),
    Document(
        "hb-bike-lease",
        "Employee Handbook — Staff bike lease",
        "Every permanent employee who has passed probation can lease one Northwind e-bike through the staff "
        "scheme. The monthly rate is deducted from gross salary, which lowers income tax, and the lease runs "
        "for 36 months. Servicing and insurance are included, and the staff discount on accessories is 30 "
        "percent. At the end of the lease you can return the bike or buy it for 15 percent of its original "
        "list price. If you leave the company early, the remaining lease payments are settled from your "
        "final salary. Only one bike per employee can be leased at a time.",
        (
            _f("36 months", "How long does a staff bike lease run?", "What is the term of the bike lease?"),
            _f(
                "30 percent",
                "What discount do staff get on accessories?",
                "How much cheaper are accessories for employees?",
            ),
            _f(
                "15 percent of its original list price",
                "What does it cost to buy the bike when the lease ends?",
                "For how much can I keep my lease bike at the end?",
            ),
            _f(
                "from your final salary",
                "How are outstanding lease payments handled if I leave early?",
                "What happens to the remaining lease rates when an employee quits?",
            ),
            _f(
                "gross salary",
                "From which salary is the monthly lease rate deducted?",
                "Is the lease paid out of net or gross pay?",
            ),
        ),
        ("Which models are excluded from the lease scheme?",),
    ),
    Document(
        "hb-remote",
        "Employee Handbook — Working from home",
        "Office staff may work from home up to two days per week after agreeing a pattern with their team "
        "lead. Tuesdays are team days: everyone in product, marketing and customer support is expected in "
        "the Utrecht office. The company provides a laptop, a headset and a one-off home-office allowance of "
        "250 euros for a chair or desk. Working from abroad is allowed for up to 20 working days per year, "
        "but only from countries in the European Union, because of tax and insurance rules. Workshop, "
        "warehouse and showroom roles cannot be done remotely.",
        (
            _f(
                "two days per week",
                "How often may office staff work from home?",
                "What is the limit on home-office days?",
            ),
            _f("Tuesdays", "Which day is the team day?", "On what day is everyone expected in the office?"),
            _f(
                "250 euros",
                "How big is the home-office allowance?",
                "How much money do I get for a desk or chair at home?",
            ),
            _f(
                "20 working days per year",
                "For how long can employees work from abroad?",
                "How many days a year may I work from another country?",
            ),
            _f(
                "countries in the European Union",
                "From where is working abroad allowed?",
                "Which countries can staff work remotely from?",
            ),
        ),
        ("Does the company pay for home internet?",),
    ),
    Document(
        "hb-probation",
        "Employee Handbook — Probation and onboarding",
        "New employees serve a probation period of six months. During probation, either side may end the "
        "contract with one week's notice; afterwards the notice period is one month, or longer if your "
        "contract says so. In your first week you will be given a buddy from another team who can answer "
        "everyday questions. Every new starter also spends a full day in the Leeds workshop, building a "
        "bike from a frame and a box of parts, so that everyone understands the product. Your team lead "
        "holds a probation review in month three and again before the period ends.",
        (
            _f("six months", "How long is the probation period?", "For how long are new hires on probation?"),
            _f(
                "one week's notice",
                "What is the notice period during probation?",
                "How quickly can a contract be ended while still on probation?",
            ),
            _f(
                "a buddy from another team",
                "Who helps new starters with everyday questions?",
                "What support is a newcomer given in the first week?",
            ),
            _f(
                "the Leeds workshop",
                "Where do new employees build a bike?",
                "Where does every new starter spend a full day?",
            ),
            _f(
                "in month three",
                "When is the first probation review?",
                "At what point does the team lead hold the first review?",
            ),
        ),
        ("What salary increase follows a successful probation?",),
    ),
    Document(
        "hb-safety",
        "Employee Handbook — Workshop safety",
        "Safety glasses must be worn in the workshop whenever anyone is grinding, cutting or using "
        "compressed air. Steel-toe shoes are required on the warehouse floor and are provided free of "
        "charge. E-bike batteries that are swollen, dented or have been dropped must be placed in the red "
        "fire-safe cabinet next to the loading bay and reported to the safety officer, Marta Lindqvist. "
        "Never charge a damaged battery. The first-aid kits are checked on the first Monday of every month, "
        "and at least two trained first aiders are on site during opening hours.",
        (
            _f(
                "Safety glasses",
                "What must be worn when someone is grinding in the workshop?",
                "Which protective equipment is needed when compressed air is being used?",
            ),
            _f(
                "the red fire-safe cabinet",
                "Where should a swollen battery be put?",
                "Where do dropped or dented batteries go?",
            ),
            _f("Marta Lindqvist", "Who is the safety officer?", "To whom are damaged batteries reported?"),
            _f(
                "the first Monday of every month",
                "When are the first-aid kits checked?",
                "How often is the first-aid kit inspected?",
            ),
            _f(
                "at least two",
                "How many trained first aiders must be on site?",
                "What is the minimum number of first aiders present during opening hours?",
            ),
        ),
        ("How often must the fire extinguishers be serviced?",),
    ),
    Document(
        "hb-training",
        "Employee Handbook — Training budget",
        "Each employee has a personal learning budget of 1,200 euros per year, which can be spent on "
        "courses, conferences, certifications or books related to their role. Budget not spent by the end "
        "of the year is not carried over. Requests under 300 euros only need approval from your team lead; "
        "larger requests also need sign-off from HR. Technicians are encouraged to complete the external "
        "drive-system certification, which the company pays for in full, outside the personal budget. Staff "
        "who leave within twelve months of a course costing more than 2,000 euros repay half of the cost.",
        (
            _f(
                "1,200 euros per year",
                "How big is the personal learning budget?",
                "How much can each employee spend on training annually?",
            ),
            _f(
                "300 euros",
                "Up to what amount does the team lead alone approve a training request?",
                "Above which cost does a course need HR sign-off as well?",
            ),
            _f(
                "the external drive-system certification",
                "Which certification are technicians encouraged to take?",
                "What qualification does the company fully pay for technicians?",
            ),
            _f(
                "half of the cost",
                "How much must staff repay if they leave soon after an expensive course?",
                "What portion of a course fee is paid back when someone quits within a year?",
            ),
            _f(
                "is not carried over",
                "What happens to unspent learning budget at the end of the year?",
                "Can I save my training budget for next year?",
            ),
        ),
        ("How many days of study leave per year are there?",),
    ),
    Document(
        "hb-it",
        "Employee Handbook — Passwords and devices",
        "Company accounts are protected with single sign-on and two-factor authentication through the "
        "Authenticator app; text-message codes are not accepted. Passwords must be at least 14 characters "
        "long and are never shared, not even with IT. Lost or stolen laptops and phones must be reported to "
        "the IT helpdesk within one hour on extension 4400, so that the device can be wiped remotely. "
        "Personal phones may be used for work email only after installing the device-management profile. "
        "Customer data must never be copied to USB sticks.",
        (
            _f(
                "the Authenticator app",
                "What is used for two-factor authentication?",
                "Which app provides the second login factor?",
            ),
            _f(
                "at least 14 characters",
                "How long must a password be?",
                "What is the minimum password length?",
            ),
            _f(
                "extension 4400",
                "What number do I call to report a stolen laptop?",
                "How can the IT helpdesk be reached about a lost phone?",
            ),
            _f(
                "within one hour",
                "How quickly must a lost device be reported?",
                "What is the time limit for reporting a missing company phone?",
            ),
            _f(
                "the device-management profile",
                "What must be installed before using a private phone for work email?",
                "What does a personal phone need before it can get company mail?",
            ),
        ),
        ("How often must passwords be changed?",),
    ),
    Document(
        "hb-parental",
        "Employee Handbook — Parental leave",
        "Employees who become parents are entitled to 16 weeks of paid parental leave, which can be taken "
        "in one block or in up to four parts within the first year. The leave applies equally to birth, "
        "adoptive and foster parents. Please tell HR at least eight weeks before you plan to start. During "
        "the leave, your bike lease and pension contributions continue as normal. On return, parents can "
        "ask to work reduced hours for up to 12 months and will return to the same role.",
        (
            _f(
                "16 weeks",
                "How much paid parental leave do employees get?",
                "What is the length of paid leave for new parents?",
            ),
            _f(
                "up to four parts",
                "Into how many parts can parental leave be split?",
                "Does parental leave have to be taken in one go?",
            ),
            _f(
                "at least eight weeks",
                "How far in advance should HR be told about parental leave?",
                "How much notice does HR need before parental leave begins?",
            ),
            _f(
                "birth, adoptive and foster parents",
                "Who does the parental leave policy apply to?",
                "Are adoptive parents covered by the leave?",
            ),
            _f(
                "up to 12 months",
                "For how long can returning parents work reduced hours?",
                "How long may a parent work part-time after coming back?",
            ),
        ),
        ("Is there a childcare allowance?",),
    ),
    Document(
        "man-charging",
        "Aero 3 Owner's Manual — Charging the battery",
        "The Aero 3 uses a 625 Wh battery that can be charged on or off the bike. Use only the supplied 4 A "
        "charger. A full charge from empty takes about 4.5 hours, and 80 percent is reached after roughly "
        "2.5 hours. Charge indoors at room temperature, ideally between 10 °C and 25 °C; below 0 °C the "
        "battery management system blocks charging to protect the cells. The charger LED glows red while "
        "charging and turns green when the battery is full. It is safe to leave the charger connected "
        "overnight, because charging stops automatically.",
        (
            _f(
                "625 Wh",
                "What is the capacity of the Aero 3 battery?",
                "How big is the Aero 3's battery in Wh?",
            ),
            _f(
                "about 4.5 hours",
                "How long does a full charge take?",
                "How long does it take to charge an empty battery completely?",
            ),
            _f(
                "roughly 2.5 hours",
                "How long until the battery reaches 80 percent?",
                "After how much time is the battery at 80 %?",
            ),
            _f(
                "between 10 °C and 25 °C",
                "What is the ideal temperature for charging?",
                "In what temperature range should the battery be charged?",
            ),
            _f(
                "green",
                "What colour is the charger LED when the battery is full?",
                "How does the charger show that charging is finished?",
            ),
            _f(
                "below 0 °C",
                "Below what temperature is charging blocked?",
                "When does the battery management system refuse to charge?",
            ),
        ),
        ("How much does a replacement charger cost?",),
    ),
    Document(
        "man-display",
        "Aero 3 Owner's Manual — Display and buttons",
        "The handlebar remote has four buttons: power, plus, minus and light. Hold the power button for two "
        "seconds to switch the system on or off. Press plus or minus to change between the assistance "
        "levels Eco, Tour, Sport and Turbo. Holding minus for three seconds activates walk assist, which "
        "moves the bike at up to 6 km/h while you push it. The light button switches the front and rear "
        "lights together. If no button is pressed and the bike is not moving, the system switches itself "
        "off after ten minutes to save power.",
        (
            _f(
                "two seconds",
                "How long must the power button be held to switch on?",
                "For how long do you press the power button to turn the system off?",
            ),
            _f(
                "Eco, Tour, Sport and Turbo",
                "What assistance levels are there?",
                "Which support modes can be selected with plus and minus?",
            ),
            _f(
                "walk assist",
                "What does holding minus for three seconds activate?",
                "Which function is started by a long press on minus?",
            ),
            _f(
                "6 km/h",
                "How fast does walk assist move the bike?",
                "What is the top speed of the push assistance?",
            ),
            _f(
                "after ten minutes",
                "When does the system switch itself off if unused?",
                "How long until an idle bike powers down automatically?",
            ),
        ),
        ("Can the display show navigation directions?",),
    ),
    Document(
        "man-errors",
        "Aero 3 Owner's Manual — Error codes",
        "If a fault occurs, the display shows a code starting with E. E-10 means the speed sensor has lost "
        "the signal from the spoke magnet, usually because the magnet has moved; realign it so that the "
        "gap is 5 to 15 mm. E-21 indicates that the battery is too hot or too cold to deliver power; let "
        "it return to room temperature. E-30 means the motor has detected a communication fault. Switch the "
        "system off and on once; if E-30 appears again, book a workshop check. Codes beginning with W are "
        "only warnings and do not stop the motor.",
        (
            _f(
                "the speed sensor",
                "Which part has lost its signal when E-10 is shown?",
                "What component does error E-10 refer to?",
            ),
            _f(
                "5 to 15 mm",
                "How big should the gap between speed sensor and magnet be?",
                "What gap is needed when realigning the spoke magnet?",
            ),
            _f(
                "E-21",
                "Which code means the battery is too hot or too cold?",
                "What error appears when the battery temperature is out of range?",
            ),
            _f(
                "book a workshop check",
                "What should I do if E-30 comes back after a restart?",
                "What is the advice when the communication fault code reappears?",
            ),
            _f(
                "Codes beginning with W",
                "Which codes are only warnings?",
                "Which display codes do not stop the motor?",
            ),
        ),
        ("What does error E-40 mean?",),
    ),
    Document(
        "man-tyres",
        "Aero 3 Owner's Manual — Tyres and pressure",
        "The Aero 3 is fitted with 55 mm wide puncture-protected tyres. The recommended pressure is 2.5 to "
        "4 bar, depending on rider weight and road surface: lighter riders and rough gravel call for the "
        "lower end of the range. Never exceed the maximum of 4.5 bar printed on the tyre sidewall. Check "
        "the pressure at least once every two weeks, as tyres lose air slowly even without a puncture. The "
        "valves are Presta type; an adapter for car-style pumps is included in the accessories bag. Replace "
        "a tyre when the tread is worn down to the wear indicator dots.",
        (
            _f("55 mm", "How wide are the Aero 3 tyres?", "What tyre width does the Aero 3 come with?"),
            _f(
                "2.5 to 4 bar", "What tyre pressure is recommended?", "Which pressure range should I pump to?"
            ),
            _f("4.5 bar", "What is the maximum tyre pressure?", "What pressure must never be exceeded?"),
            _f(
                "at least once every two weeks",
                "How often should tyre pressure be checked?",
                "How frequently do I need to check the air in the tyres?",
            ),
            _f(
                "Presta",
                "What type of valves does the bike have?",
                "Which valve type is fitted to the tubes?",
            ),
            _f(
                "the wear indicator dots",
                "When should a tyre be replaced?",
                "What shows that the tread is worn out?",
            ),
        ),
        ("Can tubeless tyres be fitted?",),
    ),
    Document(
        "man-brakes",
        "Aero 3 Owner's Manual — Brakes",
        "Both wheels have hydraulic disc brakes with 180 mm rotors. New brake pads need a bedding-in "
        "period: make about twenty firm stops from 25 km/h on a quiet road before riding in traffic. Replace "
        "the pads when the friction material is thinner than 1 mm. Keep oil and chain lubricant away from "
        "the rotors, because contaminated pads squeal and lose power and usually cannot be cleaned. The "
        "brake fluid is mineral oil; never use DOT fluid, which destroys the seals. The brake system should "
        "be bled by a workshop every two years.",
        (
            _f("180 mm", "What size are the brake rotors?", "How large are the discs on the Aero 3?"),
            _f(
                "about twenty firm stops",
                "How do you bed in new brake pads?",
                "How many hard stops are needed to break in fresh pads?",
            ),
            _f(
                "thinner than 1 mm",
                "When do the brake pads need replacing?",
                "At what thickness should pads be changed?",
            ),
            _f("mineral oil", "What brake fluid is used?", "Which fluid is in the hydraulic brakes?"),
            _f(
                "every two years",
                "How often should the brakes be bled?",
                "What is the interval for bleeding the brake system?",
            ),
        ),
        ("How much does a brake service cost?",),
    ),
    Document(
        "man-chain",
        "Aero 3 Owner's Manual — Chain care",
        "E-bike chains wear faster than on ordinary bikes because of the extra torque from the motor. Clean "
        "and lubricate the chain every 300 km, or after every ride in rain. Apply one drop of lubricant to "
        "each roller, turn the cranks backwards for a minute and wipe off the excess with a dry cloth. Check "
        "chain wear with a chain checker every 1,000 km; replace the chain when wear reaches 0.5 percent. "
        "Leaving a worn chain on the bike also wears out the cassette and chainring, which are much more "
        "expensive to replace.",
        (
            _f(
                "the extra torque from the motor",
                "Why do e-bike chains wear out faster?",
                "What makes the chain on an e-bike wear more quickly?",
            ),
            _f(
                "every 300 km",
                "How often should the chain be cleaned and lubricated?",
                "At what interval do I oil the chain?",
            ),
            _f(
                "a dry cloth",
                "What is excess lubricant wiped off with?",
                "How do you remove surplus oil after lubing?",
            ),
            _f(
                "0.5 percent",
                "At what wear level should the chain be replaced?",
                "When does the chain checker say it's time for a new chain?",
            ),
            _f(
                "the cassette and chainring",
                "What else wears out if a worn chain is left on?",
                "Which expensive parts suffer from riding a worn chain?",
            ),
        ),
        ("Which brand of chain lubricant is recommended?",),
    ),
    Document(
        "man-range",
        "Aero 3 Owner's Manual — Range",
        "On a full charge the Aero 3 typically covers 60 to 140 km. The range depends mostly on the "
        "assistance level: riding in Eco on flat roads gives the most, while Turbo with frequent hill "
        "starts gives the least. Cold weather reduces range noticeably, by up to 30 percent below 0 °C, "
        "because the cells deliver less energy. Low tyre pressure, a heavy load and strong headwinds also "
        "shorten it. The range estimate on the display adapts to your riding over the last 5 km, so it may "
        "jump when you change assistance level.",
        (
            _f(
                "60 to 140 km",
                "How far does the Aero 3 go on one charge?",
                "What range can I expect from a full battery?",
            ),
            _f(
                "the assistance level",
                "What does the range mostly depend on?",
                "Which factor has the biggest influence on range?",
            ),
            _f(
                "up to 30 percent",
                "How much range is lost in freezing weather?",
                "By how much can cold reduce the range?",
            ),
            _f(
                "the last 5 km",
                "Over what distance does the range estimate adapt?",
                "How much recent riding is the range display based on?",
            ),
            _f(
                "Turbo with frequent hill starts",
                "Which riding style gives the least range?",
                "What drains the battery fastest?",
            ),
        ),
        ("How much does a second battery weigh?",),
    ),
    Document(
        "man-storage",
        "Aero 3 Owner's Manual — Winter storage",
        "If you will not ride for more than a month, store the battery separately from the bike in a dry "
        "place at 10 °C to 20 °C. Charge it to between 30 and 60 percent before storage; never store a "
        "battery completely empty or completely full. Check the charge level every three months and top it "
        "up if it has dropped below 30 percent. Clean the bike before storing it and keep it off the ground "
        "or on its wheels with the tyres inflated. Garden sheds are usually too damp and too cold in winter.",
        (
            _f(
                "10 °C to 20 °C",
                "At what temperature should a battery be stored?",
                "What storage temperature is best for the battery over winter?",
            ),
            _f(
                "between 30 and 60 percent",
                "What charge level should the battery have for storage?",
                "How full should I leave the battery before putting it away?",
            ),
            _f(
                "every three months",
                "How often should a stored battery's charge be checked?",
                "When should I look at the charge level during storage?",
            ),
            _f(
                "Garden sheds",
                "Which places are usually unsuitable for winter storage?",
                "Where should you not keep the bike over the winter?",
            ),
            _f(
                "more than a month",
                "When do these storage instructions apply?",
                "After how long without riding should the battery be stored separately?",
            ),
        ),
        ("Should the display be removed for winter storage?",),
    ),
    Document(
        "man-updates",
        "Aero 3 Owner's Manual — Software updates",
        "Updates for the motor, display and battery are installed through the Northwind Ride app over "
        "Bluetooth. Before starting, make sure the battery is at least 40 percent charged and keep the "
        "phone within 2 metres of the bike. An update usually takes 10 to 15 minutes; do not switch the bike "
        "off or close the app while the progress bar is visible. If an update fails, the system falls back "
        "to the previous version and you can simply try again. Release notes for every version are listed "
        "in the app under Settings, then About.",
        (
            _f(
                "the Northwind Ride app",
                "How are software updates installed?",
                "Which app do I use to update the motor firmware?",
            ),
            _f(
                "at least 40 percent",
                "How much charge does the battery need before an update?",
                "What is the minimum battery level for updating?",
            ),
            _f(
                "10 to 15 minutes",
                "How long does an update take?",
                "How much time should I allow for an update?",
            ),
            _f(
                "the previous version",
                "What happens if an update fails?",
                "Which software does the bike fall back to after a failed update?",
            ),
            _f(
                "Settings, then About",
                "Where can I find the release notes?",
                "In which menu of the app are release notes listed?",
            ),
        ),
        ("Can updates be installed from a computer?",),
    ),
    Document(
        "man-legal",
        "Aero 3 Owner's Manual — Speed limit and legal use",
        "The Aero 3 is a pedelec: the motor only assists while you pedal and cuts out at 25 km/h, as "
        "required in the European Union. You can ride faster under your own power, but without assistance. "
        "No licence, registration or insurance plate is needed, and there is no minimum age in most "
        "countries, although Northwind recommends a minimum age of 14. Any modification that raises the "
        "assistance limit turns the bike into a motor vehicle in legal terms and voids the warranty. The "
        "maximum permitted total weight of rider, bike and luggage is 140 kg.",
        (
            _f(
                "25 km/h",
                "At what speed does the motor stop assisting?",
                "What is the assistance cut-off speed?",
            ),
            _f(
                "14",
                "What minimum age does Northwind recommend?",
                "How old should a rider be, according to Northwind?",
                after="minimum age of",
            ),
            _f(
                "voids the warranty",
                "What happens to the warranty if the speed limit is raised?",
                "What is the consequence of tuning the assistance limit for the warranty?",
            ),
            _f(
                "140 kg",
                "What is the maximum total weight allowed?",
                "How heavy can rider, bike and luggage be together?",
            ),
            _f("a pedelec", "What kind of vehicle is the Aero 3 legally?", "How is the Aero 3 classified?"),
        ),
        ("What is the fine for riding a modified bike?",),
    ),
    Document(
        "man-cargo",
        "Kestrel Cargo Manual — Loading and children",
        "The Kestrel Cargo box is approved for up to two children aged from nine months to six years, "
        "seated on the bench with the five-point harnesses fastened. The maximum load in the box is 80 kg, "
        "and the total permitted weight of the bike including rider is 220 kg. A rain cover and a "
        "baby-seat adapter are available as accessories. Always use the double-leg kickstand when loading, "
        "and engage the parking brake lever on the handlebar so the bike cannot roll away. Take corners "
        "slowly: a loaded cargo bike steers differently from a normal bike.",
        (
            _f(
                "two children",
                "How many children can ride in the Kestrel Cargo box?",
                "What is the maximum number of kids in the box?",
            ),
            _f(
                "nine months to six years",
                "What ages are children approved for in the box?",
                "How old must a child be to ride in the cargo box?",
            ),
            _f("80 kg", "What is the maximum load in the box?", "How much weight can the cargo box carry?"),
            _f(
                "220 kg",
                "What is the total permitted weight including rider?",
                "How heavy may the loaded Kestrel Cargo be in total?",
            ),
            _f(
                "the double-leg kickstand",
                "What should be used when loading the bike?",
                "Which stand must be down while putting children in?",
            ),
        ),
        ("How wide is the Kestrel Cargo?",),
    ),
    Document(
        "man-fold",
        "Lark Fold Manual — Folding and carrying",
        "The Lark Fold folds in three steps: lower the saddle fully, open the hinge on the main frame, then "
        "fold the handlebar stem down until it clicks into the magnet. Folded, the bike measures 80 by 70 by "
        "40 cm and fits in most car boots. It weighs 19 kg including the battery, which can be removed to "
        "make carrying easier. Before riding, always check that both hinge levers are closed and the safety "
        "catches are engaged. On trains, the folded bike usually counts as hand luggage, so no bike ticket "
        "is needed.",
        (
            _f(
                "three",
                "In how many steps does the Lark Fold fold?",
                "How many steps does folding the Lark take?",
            ),
            _f(
                "80 by 70 by 40 cm",
                "What are the folded dimensions?",
                "How big is the Lark Fold when folded?",
            ),
            _f(
                "19 kg",
                "How much does the Lark Fold weigh?",
                "What's the weight of the folding bike with battery?",
            ),
            _f(
                "hand luggage",
                "How does the folded bike count on trains?",
                "Do I need a bike ticket for the folded Lark on a train?",
            ),
            _f(
                "lower the saddle fully",
                "What is the first folding step?",
                "What do you do before opening the frame hinge?",
            ),
        ),
        ("How long does the Lark Fold take to fold?",),
    ),
    Document(
        "ws-first-service",
        "Workshop Guide — First service",
        "Every new Northwind bike is due for a free first service after 500 km or three months, whichever "
        "comes first. The appointment takes about 45 minutes. The technician checks spoke tension, "
        "re-tightens bolts to the specified torque, adjusts the gears and brakes, and installs the latest "
        "software. Cables and spokes settle during the first weeks of riding, which is why this check "
        "matters. Bring the bike with the battery and the key. Customers who miss the first service still "
        "keep their warranty, but repairs caused by loose components are not covered.",
        (
            _f(
                "500 km or three months",
                "When is the first service due?",
                "After how many kilometres or months should the free service happen?",
            ),
            _f(
                "about 45 minutes",
                "How long does the first service take?",
                "How much time should I plan for the first service appointment?",
            ),
            _f(
                "the battery and the key",
                "What should customers bring along to the first service?",
                "Besides the bike, what do I need to bring to the workshop?",
            ),
            _f(
                "repairs caused by loose components",
                "What is not covered if the first service is missed?",
                "Which repairs are excluded for customers who skip the first check?",
            ),
            _f(
                "Cables and spokes",
                "What settles during the first weeks of riding?",
                "Why is the first check necessary — which parts settle in?",
            ),
        ),
        ("How much does the second service cost?",),
    ),
    Document(
        "ws-warranty",
        "Warranty Terms — Coverage",
        "Northwind gives a 10-year warranty on frames and a two-year warranty on the motor, display and "
        "other components. The battery is covered for two years or 500 full charge cycles, whichever comes "
        "first, if its capacity has fallen below 70 percent of the original. Wear parts such as tyres, "
        "chains, brake pads and grips are not covered. The warranty applies to the first owner only and "
        "requires proof of purchase. Claims are handled by the dealer who sold the bike; bikes bought "
        "online are handled by the Utrecht service centre.",
        (
            _f("10-year", "How long is the frame warranty?", "What warranty period applies to frames?"),
            _f(
                "500 full charge cycles",
                "How many charge cycles does the battery warranty cover?",
                "Up to how many cycles is the battery under warranty?",
            ),
            _f(
                "70 percent",
                "Below what capacity is a battery claim accepted?",
                "How far must battery capacity drop before the warranty applies?",
            ),
            _f(
                "the first owner",
                "Who does the warranty apply to?",
                "Does the warranty transfer to a second-hand buyer?",
            ),
            _f(
                "the Utrecht service centre",
                "Who handles warranty claims for bikes bought online?",
                "Where do online customers send warranty claims?",
            ),
        ),
        ("Can the warranty be extended?",),
    ),
    Document(
        "pol-returns",
        "Customer Policy — Returns",
        "Bikes bought online can be returned within 14 days of delivery, as long as they have been ridden "
        "less than 50 km and show no damage. The return is collected by our courier; customers pay a "
        "collection fee of 49 euros unless the bike is faulty. Accessories can be returned within 30 days "
        "in their original packaging. Once the returned item has been inspected at the warehouse, the "
        "customer is informed of the outcome within five working days. Custom-built bikes, such as those "
        "with a special frame colour, cannot be returned.",
        (
            _f(
                "within 14 days of delivery",
                "How long do customers have to return a bike?",
                "What is the return window for bikes bought online?",
            ),
            _f(
                "less than 50 km",
                "How far may a bike have been ridden to still be returnable?",
                "What is the mileage limit for returns?",
            ),
            _f(
                "49 euros",
                "How much is the collection fee for a return?",
                "What does the courier pick-up cost for a returned bike?",
            ),
            _f(
                "within 30 days",
                "How long can accessories be returned?",
                "What's the return period for accessories?",
            ),
            _f(
                "Custom-built bikes",
                "Which bikes cannot be returned?",
                "What kind of bike is excluded from returns?",
            ),
        ),
        ("How long does the courier take to collect a return?",),
    ),
    Document(
        "pol-delivery",
        "Customer Policy — Delivery",
        "Bikes are delivered fully assembled by our own van service in the Netherlands, Belgium and western "
        "Germany, and by a partner freight company elsewhere in the EU. Delivery takes three to seven "
        "working days for bikes in stock. The driver calls about 30 minutes before arrival and will carry "
        "the bike to the ground floor, but not up stairs. Customers must check the bike on the spot and "
        "note any visible damage on the delivery form. Deliveries to the UK, Norway and Switzerland are not "
        "currently offered.",
        (
            _f(
                "three to seven working days",
                "How long does delivery take for bikes in stock?",
                "How many days until an in-stock bike arrives?",
            ),
            _f(
                "about 30 minutes",
                "How long before arrival does the driver call?",
                "When will the driver phone ahead?",
            ),
            _f(
                "the ground floor",
                "How far will the driver carry the bike?",
                "Will the delivery driver bring the bike upstairs?",
            ),
            _f(
                "the delivery form",
                "Where should visible damage be noted?",
                "What document is transport damage recorded on?",
            ),
            _f(
                "the UK, Norway and Switzerland",
                "Which countries are not delivered to?",
                "Where does Northwind currently not ship bikes?",
            ),
        ),
        ("What does delivery cost?",),
    ),
    Document(
        "man-belt",
        "Strada 9 Manual — Belt drive",
        "The Strada 9 uses a carbon belt instead of a chain, combined with a nine-speed hub gear. The belt "
        "needs no lubrication and typically lasts around 15,000 km. Clean it with water and a soft brush "
        "only; degreasers and oils damage the carbon cords. Belt tension is set by the workshop with a "
        "tension meter and should be checked at every annual service. A squeaking belt in dry, dusty "
        "conditions is normal and can be stopped by spraying it lightly with water. Never twist or kink "
        "the belt during removal.",
        (
            _f(
                "a carbon belt",
                "What does the Strada 9 use instead of a chain?",
                "What kind of drive does the Strada 9 have?",
            ),
            _f(
                "around 15,000 km",
                "How long does the belt usually last?",
                "What is the typical belt lifespan?",
            ),
            _f(
                "water and a soft brush",
                "How should the belt be cleaned?",
                "What do I clean the drive belt with?",
            ),
            _f(
                "at every annual service",
                "When should belt tension be checked?",
                "How often is the belt tension inspected?",
            ),
            _f(
                "spraying it lightly with water",
                "How can a squeaking belt be stopped?",
                "What fixes belt squeak in dusty conditions?",
            ),
        ),
        ("How much does a replacement belt cost?",),
    ),
    Document(
        "sup-response",
        "Support Team Guide — Response times",
        "The support team answers emails within one working day and live chat within three minutes during "
        "opening hours, which are 08:00 to 18:00 on weekdays and 09:00 to 13:00 on Saturdays. Tickets "
        "marked urgent, for example a bike that cannot be ridden safely, are answered within four hours. "
        "Agents may offer a goodwill voucher of up to 50 euros without approval; larger gestures need a "
        "supervisor. Refund decisions are never made in chat; they are made by the returns team after "
        "inspection. Every ticket is closed with a short satisfaction survey.",
        (
            _f(
                "within one working day",
                "How quickly are support emails answered?",
                "What is the response time for email?",
            ),
            _f(
                "09:00 to 13:00",
                "What are the Saturday opening hours of support?",
                "When is support open on Saturdays?",
            ),
            _f(
                "within four hours",
                "How fast are urgent tickets answered?",
                "What is the response target for a bike that can't be ridden safely?",
            ),
            _f(
                "up to 50 euros",
                "How large a goodwill voucher can an agent give without approval?",
                "What is the maximum voucher without a supervisor?",
            ),
            _f(
                "the returns team",
                "Who makes refund decisions?",
                "Which team decides whether money is refunded?",
            ),
        ),
        ("Is there a phone hotline?",),
    ),
)


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


def answer_start(context: str, fact: Fact) -> int:
    """Character offset of ``fact.answer`` in ``context`` (searched after ``fact.after``)."""
    origin = context.index(fact.after) if fact.after else 0
    start = context.find(fact.answer, origin)
    if start < 0:
        raise ValueError(f"answer {fact.answer!r} not found in context")
    return start


def split_documents(rng: random.Random, documents: Sequence[Document]) -> set[str]:
    """Pick test documents (by slug) until they hold about :data:`TEST_QUESTION_FRACTION` of the facts."""
    order = list(documents)
    rng.shuffle(order)
    total = sum(len(d.facts) for d in documents)
    test: set[str] = set()
    held = 0
    for doc in order:
        if held >= TEST_QUESTION_FRACTION * total:
            break
        test.add(doc.slug)
        held += len(doc.facts)
    return test


def generate(seed: int = SEED) -> list[Question]:
    """Generate all questions deterministically from ``seed``, in the (shuffled) order they are written."""
    rng = random.Random(seed)
    test_docs = split_documents(rng, DOCUMENTS)
    n_answerable = sum(len(d.facts) for d in DOCUMENTS)
    n_unanswerable = round(n_answerable * UNANSWERABLE_FRACTION / (1 - UNANSWERABLE_FRACTION))
    with_unanswerable = {d.slug for d in rng.sample(list(DOCUMENTS), n_unanswerable)}
    seen: set[str] = set()
    kept: list[frozenset[tuple[str, ...]]] = []
    questions: list[Question] = []

    def accept(text: str) -> bool:
        key, grams = normalise(text), trigrams(text)
        if key in seen or any(jaccard(grams, other) >= NEAR_DUPLICATE_JACCARD for other in kept):
            return False
        seen.add(key)
        kept.append(grams)
        return True

    for doc in DOCUMENTS:
        split = "test" if doc.slug in test_docs else "train"
        rows: list[tuple[str, tuple[str, ...], tuple[int, ...]]] = []
        for fact in doc.facts:
            start = answer_start(doc.context, fact)
            phrasings = list(fact.questions)
            rng.shuffle(phrasings)
            question = next((q for q in phrasings if accept(q)), None)
            if question is None:
                raise RuntimeError(f"every phrasing for {fact.answer!r} duplicates another question")
            rows.append((question, (fact.answer,), (start,)))
        if doc.slug in with_unanswerable:
            question = next(
                (q for q in rng.sample(doc.unanswerable, len(doc.unanswerable)) if accept(q)), None
            )
            if question is not None:
                rows.append((question, (), ()))
        rng.shuffle(rows)
        for i, (question, texts, starts) in enumerate(rows, start=1):
            questions.append(
                Question(f"{doc.slug}-{i:02d}", doc.title, doc.context, question, texts, starts, split)
            )
    rng.shuffle(questions)
    return questions


def write_jsonl(questions: Sequence[Question], path: Path) -> None:
    """Write ``questions`` as UTF-8 JSON lines in flat SQuAD form plus a ``split`` field."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for q in questions:
            row = {
                "id": q.id,
                "title": q.title,
                "context": q.context,
                "question": q.question,
                "answers": {"text": list(q.answer_texts), "answer_start": list(q.answer_starts)},
                "split": q.split,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the dataset to the given path (default: next to this file)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="JSONL file to write")
    args = parser.parse_args(argv)
    questions = generate()
    write_jsonl(questions, args.output)
    print(f"wrote {len(questions)} rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
