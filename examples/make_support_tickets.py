"""Generate the synthetic example dataset ``examples/support_tickets.csv``.

The dataset is a made-up set of customer-support messages labelled with one of ten intents.
It is written by this project from hand-written templates; it is not real customer data.

Run ``python examples/make_support_tickets.py`` to rewrite the CSV next to this file, or pass
an output path as the first argument. The output is byte-identical on every run: everything
random comes from one ``random.Random`` seeded with :data:`SEED`, and nothing depends on hash
order or the clock. Only the standard library is used.

How a message is built:

* each intent has at least 25 hand-written core templates (one or two sentences) plus a few
  terse ones, with slots such as ``{order}``, ``{amount}``, ``{product}`` or ``{device}``;
* a style is drawn (email, chat, terse, angry, rambling) which decides the opener, extra
  detail sentences, sign-off, lower-casing and chat abbreviations;
* some messages get a typo or two, and a few mention a second topic in passing.

The test split is held out by template: for every intent about a fifth of the templates are
used only for test rows and the rest only for train rows, so a test message never shares its
sentence skeleton with a training message. Texts are unique after lower-casing and collapsing
whitespace.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

SEED = 20240611
ROWS_PER_LABEL = 80
TEST_ROWS_PER_LABEL = 16
TEST_TEMPLATE_FRACTION = 0.2
MIN_WORDS = 4
MAX_WORDS = 62
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "support_tickets.csv"
COLUMNS = ("text", "label", "split")


class Intent(NamedTuple):
    """Templates for one intent: core messages, terse messages and optional detail sentences."""

    core: tuple[str, ...]
    short: tuple[str, ...]
    details: tuple[str, ...]


class Ticket(NamedTuple):
    """One generated row plus the template it came from (the template id is not written out)."""

    text: str
    label: str
    split: str
    template_id: str


# --------------------------------------------------------------------------------------------
# Slot fillers
# --------------------------------------------------------------------------------------------

GADGETS = (
    "SoundCore X2 headset",
    "Pulse fitness watch",
    "Drift bluetooth speaker",
    "Halo baby monitor",
    "Nova e-reader",
    "Orbit robot vacuum",
    "Thermo S smart thermostat",
    "Beam smart bulb kit",
)
APPLIANCES = (
    "AeroBlend 500 blender",
    "KettlePro 1.7L kettle",
    "Burr coffee grinder",
    "CrispAir air fryer",
    "Barista One espresso machine",
    "Breeze tower fan",
    "SteamEase clothes steamer",
)
GARMENTS = (
    "Nimbus rain jacket",
    "merino wool jumper",
    "Stride running top",
    "kids' puddle suit",
    "linen summer dress",
    "denim jacket",
    "fleece hoodie",
    "Harbour wool coat",
    "Trail softshell gilet",
)
FURNITURE = (
    "Atlas office chair",
    "Rise standing desk",
    "Oslo bookshelf",
    "Fjord bunk bed",
    "Nook side table",
)
KITCHENWARE = ("Aqua 2L water bottle", "cast iron skillet", "stoneware dinner set", "glass storage jar set")
HOMEWARE = (
    "Lumo desk lamp",
    "bamboo bedsheet set",
    "weighted blanket",
    "SleepWell pillow",
    "cork yoga mat",
    "Voyager 30L backpack",
    "Flex phone case",
)
PRODUCTS = GADGETS + APPLIANCES + GARMENTS + FURNITURE + KITCHENWARE + HOMEWARE
DEVICES = (
    "iPhone 13",
    "iPhone 15 Pro",
    "iPhone SE",
    "Pixel 7",
    "Pixel 8a",
    "Samsung Galaxy S22",
    "Galaxy A54",
    "iPad Air",
    "MacBook Air",
    "Windows 11 laptop",
    "Chromebook",
    "OnePlus 9",
    "Fire tablet",
    "Huawei P30",
)
BROWSERS = ("Chrome", "Firefox", "Safari", "Edge", "Brave", "Opera")
PLANS = (
    "Premium plan",
    "Plus membership",
    "Family plan",
    "annual subscription",
    "monthly recipe box",
    "Pro plan",
    "student plan",
    "Gold membership",
    "Basic plan",
    "coffee subscription",
)
DATES = (
    "12 March",
    "March 3rd",
    "Monday",
    "the 4th",
    "03/11",
    "2 June",
    "the 21st",
    "Friday",
    "14 Feb",
    "Sept 9",
    "Tuesday",
    "28 October",
    "the 1st",
    "July 17",
)
DAYS = ("three", "five", "ten", "4", "6", "9", "11", "12", "14")
COURIERS = ("DHL", "UPS", "DPD", "FedEx", "Royal Mail", "Evri", "GLS", "PostNL", "USPS", "An Post")
CITIES = ("Leeds", "Lyon", "Rotterdam", "Austin", "Dublin", "Munich", "Graz", "Bristol", "Ghent", "Porto")
STREETS = (
    "14 Elm Road",
    "Kastanienallee 7",
    "22 Rue Victor Hugo",
    "5B Harbour View",
    "Flat 3, 88 Mill Lane",
    "Keizersgracht 101",
    "17 Orchard Close",
    "Calle Mayor 12",
    "9 Station Street",
    "Hauptstraße 41",
)
COUNTRIES = ("Germany", "Ireland", "the Netherlands", "Spain", "Austria", "Belgium", "Poland", "Italy")
COLOURS = (
    "navy",
    "black",
    "olive green",
    "sand",
    "burgundy",
    "charcoal grey",
    "white",
    "forest green",
    "mustard",
    "sky blue",
    "dusty rose",
)
SIZES = ("XS", "S", "M", "L", "XL", "38", "42", "UK 9", "EU 40", "32/34", "10")
QUANTITIES = ("2", "3", "4", "5", "6", "10", "12")
FULL_NAMES = (
    "Anna Keller",
    "Tom Whitfield",
    "Priya Nair",
    "Jürgen Bauer",
    "Chloé Martin",
    "Mateo García",
    "Sam O'Neill",
    "Fatima El Idrissi",
    "Liam Byrne",
    "Yuki Tanaka",
    "Olga Nowak",
    "Kwame Mensah",
    "Sofia Rossi",
    "Dmitri Ivanov",
    "Grace Adeyemi",
    "Lucas Dubois",
    "Hannah Schmidt",
    "Ravi Patel",
)
AGENTS = ("Sarah", "Jonas", "Aisha", "Ben", "Marta", "Tomasz", "Leila", "Declan")
MAIL_DOMAINS = ("gmail.com", "outlook.com", "web.de", "yahoo.co.uk", "icloud.com", "proton.me", "gmx.at")
COMPANIES = (
    "Keller & Söhne GmbH",
    "Brightside Studio Ltd",
    "Nordlicht Design",
    "Oakfield Dental Practice",
    "Van Dijk Logistics BV",
    "Moreno Arquitectos SL",
)
DISCOUNT_CODES = ("SPRING20", "WELCOME10", "SAVE15", "BLACKFRIDAY", "FRIENDS25", "SUMMER5")
ERROR_CODES = (
    "ERR_502",
    "0x80070005",
    "E-214",
    "code 1003",
    "403 Forbidden",
    "SYNC_FAILED_17",
    "NET_TIMEOUT",
)
ENGRAVINGS = ("Happy 40th, Dan", "For M, always", "Team Lisbon 2024", "Grandad's Shed", "Ana & Luís")
POSTCODES = ("LS6 2QT", "10115", "1012 AB", "D02 X285", "75011", "80331", "BS8 1TH")
SINCE = ("20 minutes ago", "an hour ago", "this morning", "last night", "half an hour ago")
MONTHS = ("January", "February", "March", "April", "May", "September", "October", "November")
PRICES = (
    "4.99",
    "7.95",
    "9.99",
    "12",
    "14.99",
    "19.90",
    "24.50",
    "35",
    "49.99",
    "59.90",
    "89",
    "129",
    "199.99",
    "249",
    "18.40",
    "64.00",
)
CARD_BRANDS = ("Visa", "Mastercard", "Amex", "Maestro")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(n))


def _order(rng: random.Random, ctx: dict[str, str]) -> str:
    fmt = rng.randrange(4)
    if fmt == 0:
        return f"#{_letters(rng, 1)}{_digits(rng, 5)}"
    if fmt == 1:
        return f"{_letters(rng, 1)}{_digits(rng, 5)}"
    if fmt == 2:
        return f"#{rng.choice('123456789')}{_digits(rng, 5)}"
    return f"{_letters(rng, 2)}-{_digits(rng, 6)}"


def _amount(rng: random.Random, ctx: dict[str, str]) -> str:
    currency = ctx.setdefault("currency", rng.choice("€€$££"))
    price = rng.choice(PRICES)
    if currency == "$" and price.endswith(".00"):
        price = price[:-3]
    if currency == "€" and "." in price and rng.random() < 0.3:
        return f"{price.replace('.', ',')} €"
    return f"{currency}{price}"


def _card(rng: random.Random, ctx: dict[str, str]) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return "debit card"
    if kind == 1:
        return "credit card"
    ending = "ending in" if rng.random() < 0.5 else "ending"
    return f"{rng.choice(CARD_BRANDS)} {ending} {_digits(rng, 4)}"


def _person(rng: random.Random, ctx: dict[str, str]) -> str:
    """The customer writing the message: one name per message, shared by email, sign-off and name slots."""
    return ctx.setdefault("person", rng.choice(FULL_NAMES))


def _email(rng: random.Random, ctx: dict[str, str]) -> str:
    first, last = _person(rng, ctx).split(" ", 1)
    first = first.lower().replace("ü", "ue").replace("é", "e")
    last = last.lower().replace("'", "").replace(" ", "").replace("í", "i")
    local = rng.choice(
        (f"{first}.{last}", f"{first[0]}{last}", f"{first}{_digits(rng, 2)}", f"{last}.{first}")
    )
    return f"{local}@{rng.choice(MAIL_DOMAINS)}"


def _vat(rng: random.Random, ctx: dict[str, str]) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f"DE{_digits(rng, 9)}"
    if kind == 1:
        return f"IE{_digits(rng, 7)}{_letters(rng, 1)}"
    if kind == 2:
        return f"NL{_digits(rng, 9)}B01"
    return f"ATU{_digits(rng, 8)}"


def _tracking(rng: random.Random, ctx: dict[str, str]) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return f"1Z{_letters(rng, 3)}{_digits(rng, 11)}"
    if kind == 1:
        return f"JD{_digits(rng, 16)}"
    return f"{_letters(rng, 2)}{_digits(rng, 9)}GB"


def _choice(values: Sequence[str]) -> Callable[[random.Random, dict[str, str]], str]:
    def pick(rng: random.Random, ctx: dict[str, str]) -> str:
        return rng.choice(values)

    return pick


SLOTS: dict[str, Callable[[random.Random, dict[str, str]], str]] = {
    "order": _order,
    "amount": _amount,
    "card": _card,
    "email": _email,
    "vat": _vat,
    "tracking": _tracking,
    "product": _choice(PRODUCTS),
    "gadget": _choice(GADGETS),
    "appliance": _choice(APPLIANCES),
    "machine": _choice(GADGETS + APPLIANCES),
    "garment": _choice(GARMENTS),
    "furniture": _choice(FURNITURE),
    "kitchenware": _choice(KITCHENWARE),
    "device": _choice(DEVICES),
    "browser": _choice(BROWSERS),
    "plan": _choice(PLANS),
    "date": _choice(DATES),
    "days": _choice(DAYS),
    "courier": _choice(COURIERS),
    "city": _choice(CITIES),
    "street": _choice(STREETS),
    "country": _choice(COUNTRIES),
    "colour": _choice(COLOURS),
    "size": _choice(SIZES),
    "qty": _choice(QUANTITIES),
    "fullname": _person,
    "giftname": _choice(FULL_NAMES),
    "agent": _choice(AGENTS),
    "company": _choice(COMPANIES),
    "code": _choice(DISCOUNT_CODES),
    "errcode": _choice(ERROR_CODES),
    "engraving": _choice(ENGRAVINGS),
    "postcode": _choice(POSTCODES),
    "since": _choice(SINCE),
    "month": _choice(MONTHS),
    "invoice": lambda rng, ctx: f"INV-{rng.choice(('2023', '2024', '2025'))}-{_digits(rng, 4)}",
    "cust": lambda rng, ctx: f"{rng.choice(('CU-', 'C', ''))}{rng.choice('123456789')}{_digits(rng, 5)}",
    "case": lambda rng, ctx: f"{rng.choice(('CS-', '#', ''))}{rng.choice('123456789')}{_digits(rng, 5)}",
    "version": lambda rng, ctx: f"{rng.randint(3, 6)}.{rng.randint(0, 19)}.{rng.randint(0, 9)}",
    "flatno": lambda rng, ctx: str(rng.randint(1, 28)),
}

_SLOT_RE = re.compile(r"\{(\w+)\}")


def fill(template: str, rng: random.Random, ctx: dict[str, str] | None = None) -> str:
    """Replace every ``{slot}`` in ``template``; ``{slot2}`` gets a value different from ``{slot}``."""
    values: dict[str, str] = {} if ctx is None else ctx

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        base = name[:-1] if name.endswith("2") else name
        if base not in SLOTS:
            raise KeyError(f"unknown slot {{{name}}} in template: {template!r}")
        result = SLOTS[base](rng, values)
        other = values.get(base if name != base else base + "2")
        while other is not None and result == other:
            result = SLOTS[base](rng, values)
        values[name] = result
        return result

    return _SLOT_RE.sub(value, template)


# --------------------------------------------------------------------------------------------
# Intent templates
# --------------------------------------------------------------------------------------------

INTENTS: dict[str, Intent] = {
    "billing": Intent(
        core=(
            "I was charged twice for order {order}, {amount} both times. Can you check what happened?",
            "There are two identical payments of {amount} from {date} on my bank statement, both from you.",
            "Can I get a proper invoice for order {order}? I need it for my expenses claim.",
            "The invoice you sent doesn't show our VAT number. Could you reissue it with {vat}?",
            "My card keeps getting declined at checkout even though there's definitely money on it.",
            "How do I change the card you take the monthly payment from? The old one expired.",
            "Why did my monthly payment go up from {amount} to {amount2}? Nobody told me about a price change.",
            "I see a charge of {amount} from you on {date} and I don't recognise it at all.",
            "The payment for my {plan} failed and now my account is on hold. I've updated the card, "
            "can you try taking it again?",
            "Is it possible to pay by bank transfer instead of card? Our company doesn't use cards.",
            "The total on invoice {invoice} is different from what I actually paid at checkout.",
            "You took {amount} from my account but the order page still says 'payment pending'.",
            "Can you put the company name {company} on the receipt instead of my personal name?",
            "We were charged VAT even though we're a registered business in {country}.",
            "Do you accept PayPal or Apple Pay? Only the card option shows up for me.",
            "My bank flagged a payment of {amount} from you as suspicious. Was that actually you?",
            "I need copies of all receipts from last year for my accountant, is there a way to get them in one go?",
            "The discount code {code} was accepted but the full price was still taken from my card.",
            "Why is there a pending authorisation of {amount} when my order was only {amount2}?",
            "Payment failed three times with 'transaction not authorised'. Is it your end or my bank?",
            "Could you split the payment for order {order} across two cards?",
            "The billing address on my invoice is wrong, it should be {street}, {city}.",
            "I got an email saying my payment didn't go through, but my bank shows the money left my account.",
            "Why was I charged an extra {amount} fee just for paying with my {card}?",
            "My invoice is in dollars but I paid in euros, can this be corrected for my bookkeeping?",
            "I'd like the {plan} to be paid from my {card} from now on instead.",
            "Klarna says I still owe {amount} but I paid the full amount on {date}.",
            "Where in my account can I download invoices? I can't find them anywhere.",
            "hello, the money was taken two times from my card for the same thing, please check",
            "Your system charged me {amount} for shipping although the order was above the free shipping limit.",
        ),
        short=(
            "got charged twice this month",
            "need an invoice for order {order}",
            "card declined again at checkout",
            "what's this {amount} charge from {date}?",
            "VAT number missing on invoice {invoice}",
            "payment keeps failing, please help",
            "why was I charged {amount}??",
            "double payment on my {card}",
            "can I pay by bank transfer?",
        ),
        details=(
            "My customer number is {cust}.",
            "The order number is {order} if that helps.",
            "I need this sorted before the end of the month for my tax return.",
            "I'm on the {plan}, if that matters.",
            "My account email is {email}.",
            "It's for our company account, {company}.",
        ),
    ),
    "refund": Intent(
        core=(
            "I sent the {product} back {days} days ago and still haven't got my money back.",
            "I'd like my money back for the {machine}, it stopped working after a week.",
            "When will the {amount} for my returned order {order} be back on my card?",
            "Your courier collected my return on {date}. When do I actually see the money?",
            "The {product} isn't what I expected. Can I send it back and get the full amount returned?",
            "I returned two items from order {order} but only got {amount} back instead of {amount2}.",
            "Please reimburse me for the {machine}, it arrived faulty and I don't want a replacement.",
            "You said I'd be reimbursed within 5 working days. It's been three weeks now.",
            "How do I return the {product} for my money back? There was no return label in the box.",
            "Can I get the money back for the {plan} I was charged for on {date}? I haven't used it once.",
            "I was told a credit note had been issued but nothing has appeared on my {card}.",
            "The return was marked as received at your warehouse on {date}. So where's my {amount}?",
            "I'd like to return the {product}, still unopened, and get my money back please.",
            "Still waiting on the refund for order {order}. Case number {case}.",
            "The {garment} doesn't fit and I'd rather send it back than exchange it. How do I get paid back?",
            "Your website says returns are free but you kept {amount} from what you paid back to me.",
            "I paid {amount} for express shipping and the parcel came a week late, I want that shipping fee back.",
            "Please pay the money back to my PayPal, the original card has been closed.",
            "How long does it normally take to get the money back after I return something?",
            "I returned the {product} within 30 days, tracking number {tracking}. Please process my refund.",
            "Your app says 'return approved' but the {amount} still hasn't been paid out.",
            "I changed my mind about the {product}. Can I still get all my money back? It's been 20 days.",
            "Your colleague promised on the phone that {amount} would be credited back to me. Nothing so far.",
            "Half of my order was out of stock but I was charged for everything. When do I get the difference back?",
            "I want a full refund for the {machine}. It broke the second time I used it.",
            "The return portal won't let me pick a reason, I just want to send this back and be reimbursed.",
            "I sent back the {product} in {month} and the money never reached my account.",
            "Hello, I return the {product} like your website say but the money is not come back until now.",
            "Can you give me back the {amount} for the item that was missing from my order? The rest was fine.",
            "My returned {product} was delivered to you on {date} according to {courier}. Please pay me back.",
        ),
        short=(
            "where's my money for order {order}",
            "want my money back for the {product}",
            "returned it, still no money",
            "refund status for order {order}?",
            "still no money back after {days} days",
            "return received but not paid back",
            "need my {amount} back please",
            "money back for the {product} pls",
        ),
        details=(
            "The order number was {order}.",
            "I originally paid with my {card}.",
            "The amount was {amount}.",
            "I'd prefer it back on the original payment method.",
            "I've ordered from you for years and never had to ask for this before.",
            "My email on the order is {email}.",
        ),
    ),
    "delivery": Intent(
        core=(
            "Where is my parcel? Order {order} was supposed to arrive on {date}.",
            "The tracking for {order} hasn't updated in {days} days, it just says 'in transit'.",
            "{courier} says my package was delivered but there's nothing at my door.",
            "The box arrived completely crushed and the {machine} inside is cracked.",
            "My parcel went to my old address in {city} even though I put the new one in my profile.",
            "It's been two weeks and my order still hasn't shown up. Is anyone actually sending it?",
            "The driver left my parcel with a neighbour but didn't say which one.",
            "Tracking says 'returned to sender', why? I was home all day.",
            "Which courier is bringing order {order}? The tracking link you sent goes nowhere.",
            "Order {order} was meant to be next-day but it's now {date} and still nothing.",
            "I only got one of the two boxes for order {order}, the second one is missing.",
            "{courier} keeps rescheduling my parcel, this is the third time now.",
            "The package was left outside in the rain and everything inside got soaked.",
            "My order was dispatched on {date} and still isn't here. Has it been lost?",
            "The courier came while I was out and now I have no idea where to pick it up.",
            "It says delivered to a parcel locker in {city} but I never chose a locker.",
            "The {machine} came with a broken seal and scratches all over, looks like it was dropped on the way.",
            "Customs is holding my parcel and asking me to pay {amount}. Is that normal?",
            "The tracking number {tracking} doesn't work on the {courier} website.",
            "My order shows as shipped for 9 days but {courier} has no record of it.",
            "Your driver threw the parcel over my gate and now the {machine} is dented.",
            "When will order {order} arrive? I'm going away on {date} and need it before then.",
            "The parcel was dropped at the wrong house and the people there say they don't have it.",
            "I've been waiting at home all day for the delivery and nobody came.",
            "Has order {order} actually left your warehouse yet? It's been a week.",
            "I received someone else's parcel instead of mine, it's addressed to a different name.",
            "Delivery was promised for {date} and it's now four days late.",
            "The bag with my {garment} arrived ripped open and soaking wet.",
            "i ordered the {product} on {date} and until now nothing is arrived, what is happening",
            "The courier wants a signature but I'm at work until 6. Can they leave it at the back door?",
        ),
        short=(
            "where is my parcel {order}",
            "tracking stuck for {days} days now",
            "package never arrived, order {order}",
            "box arrived crushed, {machine} broken",
            "courier left it at the wrong house",
            "still waiting for order {order}",
            "{courier} says delivered, it wasn't",
            "is my order {order} lost?",
        ),
        details=(
            "The tracking number is {tracking}.",
            "It's being shipped with {courier}.",
            "My address is {street}, {city}.",
            "It's a gift so I really need it soon.",
            "Order number {order}.",
            "I've ordered from you loads of times and never had this before.",
        ),
    ),
    "account_access": Intent(
        core=(
            "I can't log in, it says my password is wrong but I only just reset it.",
            "The password reset email never arrives. I've checked spam as well.",
            "My account got locked after too many attempts, how do I unlock it?",
            "I changed phones and now I can't get the two-factor codes anymore.",
            "I no longer have the email I signed up with ({email}). How do I change it so I can still sign in?",
            "Sign-in keeps saying 'user not found' but I've had an account with you since 2019.",
            "The SMS verification code never comes through to my {device}.",
            "I signed up with Google but now it's asking me for a password I never set.",
            "The reset link says 'expired' every time I click it, even straight away.",
            "Someone may have got into my account. The password was changed and it wasn't me.",
            "How do I change the email I use to log in? I'm moving from {email} to a work address.",
            "I forgot which email I registered with. My name is {fullname}, can you help me get back in?",
            "The codes from my authenticator app are always rejected as invalid.",
            "It says my account is suspended and I can't sign in. What did I do?",
            "I lost my backup codes and my phone with the authenticator, so I'm completely locked out.",
            "After the update the app logged me out and now it won't accept my password.",
            "I tried to sign in with Apple and it created a new empty profile instead of opening my old one.",
            "Please send a new password link to {email}, the last one didn't work.",
            "The 'forgot password' button does nothing on my {device}.",
            "It says my email is already registered when I try to sign up, but I can't log in with it either.",
            "I entered the wrong phone number for verification and now I can't get in.",
            "I'm locked out after logging in from abroad, it says 'unusual activity detected'.",
            "How do I turn off two-step verification? My new phone can't receive the codes.",
            "I get 'invalid credentials' even when I paste the password straight from my password manager.",
            "I need to get back into my profile urgently, I have an order pending in there.",
            "The magic link opens the app but I'm still not signed in afterwards.",
            "My wife set up our login and changed the password, how can I recover it myself?",
            "i cant get in to my account since {date}, it keep saying wrong pasword",
            "Every time I log in on {browser} it sends me straight back to the sign-in page.",
            "My old email address {email} was closed, so I can't receive the reset link anymore.",
        ),
        short=(
            "can't log in since {date}",
            "password reset email not arriving",
            "locked out again, please help",
            "no 2FA code on my {device}",
            "login says wrong password, it isn't",
            "reset link expired straight away",
            "account locked, need to get in",
            "how do I change my login email",
        ),
        details=(
            "My email is {email}.",
            "I'm using the app on my {device}.",
            "The account is under the name {fullname}.",
            "This started on {date}.",
            "I've already been through everything on your help page.",
            "I'm happy to verify my identity however you need.",
        ),
    ),
    "cancellation": Intent(
        core=(
            "Please stop my {plan} from renewing next month.",
            "I don't want the monthly box anymore. How do I end it?",
            "I'd like to end my membership at the end of this billing period.",
            "I want to stop the subscription, and please make sure I'm not charged again.",
            "I placed order {order} by mistake an hour ago, please don't send it, I don't want any of it.",
            "How do I turn off auto-renew? I can't find the option anywhere.",
            "I'm moving abroad so I won't need the {plan} anymore. Please close it from {date}.",
            "Please cancel my subscription with immediate effect.",
            "I signed up for the free trial and I don't want to continue once it ends.",
            "Stop sending me the weekly boxes please, we're done after this one.",
            "I want to terminate my contract. What's the notice period?",
            "Please scrap order {order}, I found it cheaper somewhere else.",
            "My mother passed away last month. Could you please end her {plan}?",
            "I'd like to opt out of the yearly renewal on {date}.",
            "Can I pause my plan instead of ending it? If not, then please just stop it.",
            "Please don't renew my {plan}. Thanks for everything so far.",
            "I ordered the {product} twice by accident, please void the second order, {order}.",
            "How do I get out of the 12-month plan early? I don't use it anymore.",
            "I want to cancel order {order} before it ships.",
            "I'm not using the app enough to justify {amount} a month, please end my plan.",
            "Where is the button to end my subscription? The help page describes a menu I don't have.",
            "Please confirm in writing that my membership has ended and no more payments will be taken.",
            "The kids have left home so we don't need the {plan} anymore. Please close it down.",
            "Stop my trial now please, I don't want {amount} taken on {date}.",
            "I'd like to quit the {plan}, it's just not for me.",
            "Is it too late to call off order {order}? I only placed it this morning.",
            "Don't ship order {order}, I no longer want anything from it.",
            "Please terminate my membership and tell me the date of the final payment.",
            "What happens to my saved recipes if I end the subscription today? I still want to end it.",
            "i would like to finish my {plan} please, no more renewal after {date}",
        ),
        short=(
            "stop my subscription please",
            "turn off auto renew for me",
            "don't renew my {plan}",
            "call off order {order} pls",
            "end my membership from {date}",
            "no more boxes please, I'm done",
            "cancel {plan} asap",
            "want to quit the {plan}",
        ),
        details=(
            "My email is {email}.",
            "Customer number {cust}.",
            "Please send me a confirmation by email.",
            "Nothing personal, it's just not for me right now.",
            "Thanks for sorting this.",
            "The account is under {fullname}.",
        ),
    ),
    "technical_issue": Intent(
        core=(
            "The app crashes every time I open my order history on my {device}.",
            "Your website won't load on {browser}, I just get a blank white page.",
            "I keep getting error {errcode} when I try to save my settings.",
            "My lists aren't syncing between my {device} and my laptop anymore.",
            "Since version {version} the app freezes after a few seconds.",
            "The checkout button doesn't do anything when I click it, nothing happens.",
            "Notifications stopped working completely after the latest update.",
            "The page shows '500 internal server error' whenever I open my profile.",
            "Product images aren't showing on the site, just grey boxes.",
            "The app has been draining my battery like crazy since last week.",
            "When I upload a photo it gets stuck at 99% forever.",
            "Search returns nothing no matter what I type, even for things I know you sell.",
            "Dark mode makes half the text invisible on my {device}.",
            "Everything I saved disappeared after syncing. It's still on my phone but not on the web.",
            "The site is incredibly slow today, every page takes a minute to load.",
            "I'm getting 'something went wrong, please try again later' on every page.",
            "The {gadget} won't connect to the app anymore, it just says device offline.",
            "Push notifications arrive twice for every message.",
            "The export to PDF button produces an empty file.",
            "The home screen widget on my {device} shows yesterday's data and never refreshes.",
            "The app won't install on my {device}, the store says it's not compatible.",
            "Videos in the how-to section buffer forever and then stop.",
            "Every time I rotate the screen the app jumps back to the home page and I lose what I typed.",
            "The firmware update for my {gadget} failed halfway and now it won't turn on.",
            "Calendar sync with Outlook duplicates every single event.",
            "Address autocomplete on your checkout form is broken, it fills the wrong fields.",
            "Bluetooth pairing with the {gadget} fails with {errcode}.",
            "After updating my {device} the app won't get past the loading screen.",
            "I get a timeout when uploading files bigger than 10 MB.",
            "the app just closes itself when i tap on my basket, tried reinstalling, same",
        ),
        short=(
            "app keeps crashing on {device}",
            "website down for anyone else?",
            "getting {errcode} again",
            "sync broken since the update",
            "blank page on {browser}",
            "app frozen on loading screen",
            "upload stuck at 99%",
            "{errcode} when I open settings",
        ),
        details=(
            "I'm on a {device}, app version {version}.",
            "I've tried reinstalling and restarting, no change.",
            "Same thing on {browser} and on my phone.",
            "It started after the update on {date}.",
            "The message just says '{errcode}'.",
            "My internet is fine, every other site works.",
            "I can send a screen recording if that helps.",
            "It happens every single time, completely reproducible.",
        ),
    ),
    "product_question": Intent(
        core=(
            "Does the {gadget} work with my {device}?",
            "Is the {garment} true to size, or should I go one size up?",
            "When will the {garment} be back in stock in {colour}?",
            "What's the difference between the {gadget} and the Pro version?",
            "Can the {garment} go in the washing machine?",
            "Before I buy: does the {appliance} come with a UK plug or an EU one?",
            "How long does the battery last on the {gadget} on a full charge?",
            "Do you have the {garment} in {size}? The site only shows the smaller sizes.",
            "Is the {garment} long enough for someone who is 1.90 m tall?",
            "Does the {plan} include offline access or is it streaming only?",
            "What is the {garment} made of? I'm allergic to wool.",
            "Is the {garment} warm enough for proper winter weather?",
            "Is there a warranty on the {appliance}, and for how long?",
            "Is the {kitchenware} dishwasher safe?",
            "What are the exact dimensions of the {appliance}? My kitchen is tiny.",
            "How loud is the {appliance}? I live in a flat with thin walls.",
            "Can I pair the {gadget} with two phones at the same time?",
            "Does the {plan} let me add family members, and how many?",
            "I'm thinking of ordering the {furniture}. Does it need assembling, and how long does that take?",
            "Which size would you recommend for a 4-year-old, {size} or the next one up?",
            "Is the {colour} version of the {garment} coming back or has it been discontinued?",
            "Does the {gadget} work with Alexa or Google Home?",
            "How heavy is the {gadget}? I need something light for travelling.",
            "Is the {garment} vegan? Some of your other ones have leather trims.",
            "Do you sell spare parts for the {appliance}, like a replacement filter or jug?",
            "How many units of the {furniture} do you have in stock? We'd need about {qty} for the office.",
            "Will the accessories from my old model fit the new {gadget}?",
            "Does the Pro plan come with API access or just the web interface?",
            "Quick question before buying, can the {appliance} run on 110V?",
            "hi, is the {appliance} good for a beginner or more for professionals?",
        ),
        short=(
            "does the {gadget} work with a {device}?",
            "is the {garment} waterproof?",
            "{garment} available in {size}?",
            "any {colour} {garment} left?",
            "restock date for the {product}?",
            "does the {gadget} come with a charger",
            "is the {garment} machine washable",
            "{appliance} vs Pro, which is better?",
        ),
        details=(
            "I'm planning to order this week.",
            "I couldn't find it in the description.",
            "I'm based in {country} if that matters.",
            "The reviews on the page say different things.",
            "I want to be sure before I spend the money.",
            "A friend recommended you.",
        ),
    ),
    "order_change": Intent(
        core=(
            "Can I change the size on order {order} from {size} to {size2}? It hasn't shipped yet.",
            "I just placed order {order} and put the wrong house number. It should be {street}.",
            "Could you add the {product} to my order {order} before it goes out?",
            "Please swap the {colour} for {colour2} on my last order, if it's not too late.",
            "I ordered {qty} but I only need one, can you reduce the quantity?",
            "Could order {order} go to my work address instead? It's {street}, {city}.",
            "I'd like to upgrade the order I placed this morning to express shipping.",
            "Can you combine my two orders {order} and {order2} into one parcel?",
            "Please take the {product} off order {order}, I want to keep the rest.",
            "Wrong colour selected by mistake. I need {colour}, not {colour2}, on order {order}.",
            "Can I still change the engraving on my order? It should read '{engraving}'.",
            "My order hasn't been dispatched yet, please change the postcode to {postcode}.",
            "I'd like one more {product} on the same order, happy to pay the difference.",
            "Could you hold order {order} and only send it after {date}? I'm away until then.",
            "I ordered the {garment} in {size}, can you make it {size2} before it ships?",
            "Please update the recipient name on order {order} to {giftname}, it's a gift.",
            "Can you add gift wrapping to order {order}?",
            "I want to swap the {appliance} in my order for the bigger model.",
            "Can my order be sent to a pickup point instead of my home?",
            "Please change the quantity of the {product} from {qty} to {qty2} on order {order}.",
            "Sorry, I need to edit my order, I forgot to add the charger.",
            "Please change the address on my order before it leaves the warehouse: {street}, {city}.",
            "I put my old flat number in. Order {order} should go to flat {flatno}, not {flatno2}.",
            "Could you switch my order to the {colour} one, same size?",
            "Is it too late to add a second {product} to the order I placed an hour ago?",
            "Can order {order} be split so half of it goes to my sister in {city}?",
            "Please replace the {appliance} in order {order} with the {appliance2}, I'll pay any difference.",
            "I chose standard shipping by mistake. Can you switch my order to next-day before it's sent?",
            "Can I change the message on the gift card that comes with my order?",
            "hi i made order {order} {since}, can u change the size to {size}? thank u",
        ),
        short=(
            "change size on {order} to {size}",
            "can u add the {product} to my order?",
            "wrong address on {order}, not shipped yet",
            "swap to {colour} please, order {order}",
            "need {qty} not {qty2} on my order",
            "edit my order before it ships?",
            "forgot an item on order {order}",
            "new postcode for order {order}: {postcode}",
        ),
        details=(
            "I only placed it {since}.",
            "The status still says 'processing', so hopefully it's not too late.",
            "I'm happy to pay any difference.",
            "Order number is {order}.",
            "My email on the order is {email}.",
            "It's a gift, so getting it right matters.",
            "If it's already packed, let me know what my options are.",
            "Everything else on the order can stay the same.",
        ),
    ),
    "feedback": Intent(
        core=(
            "Just wanted to say the {product} is brilliant, best thing I've bought this year.",
            "{agent} on your chat was really helpful yesterday, please pass on my thanks.",
            "It would be great if the app had a dark mode.",
            "Honestly, the new website layout is confusing. It used to be much easier to find things.",
            "Not asking for anything, just letting you know there was far too much plastic in the packaging.",
            "Love the new update, the app feels so much faster.",
            "Suggestion: let us save more than one address at checkout.",
            "I've been on hold for 40 minutes twice this week. That's not good enough for a company your size.",
            "The quality of the {product} has really gone down compared to the one I bought two years ago.",
            "Thank you for sorting everything out so quickly last time, great service.",
            "You should offer a student discount, loads of people at my uni would sign up.",
            "Your chatbot is useless, it never understands what I'm asking.",
            "Very happy with my order, everything was perfect. I'll be recommending you to friends.",
            "A reminder email a few days before the subscription renews would be a nice touch.",
            "Your new return policy feels unfair to loyal customers, just saying.",
            "The instructions that came with the {furniture} were impossible to follow.",
            "Kudos to the team, the {product} exceeded my expectations.",
            "Please consider adding more vegan options to the range.",
            "I rated you 5 stars on Trustpilot. Keep it up!",
            "It's frustrating that the size guide never matches the actual clothes.",
            "The little recipe cards in the box are a lovely touch, my kids love them.",
            "A wishlist I could share with family would be really nice.",
            "Your driver {agent} was so polite and even carried the box up three flights of stairs.",
            "Overall a decent experience, but checkout has way too many steps.",
            "Prices have crept up a lot this year. You're slowly losing me as a customer.",
            "Quick note: the font in the app is too small for older users like me.",
            "Big thumbs up for the recyclable packaging, really appreciate it.",
            "The staff at your {city} store were rude when I asked a simple question.",
            "The new loyalty scheme is great, well done whoever came up with it.",
            "Some feedback on the new app: the menu is hidden and my mum couldn't find anything.",
        ),
        short=(
            "love the new app design!",
            "great service as always, thanks",
            "please add a dark mode",
            "your chatbot is really useless",
            "the {product} is fantastic, thank you",
            "checkout takes too many steps",
            "{agent} was super helpful today",
            "too much plastic in the packaging",
        ),
        details=(
            "No reply needed.",
            "Just thought you should know.",
            "Hope this is useful to someone.",
            "I've been shopping with you for years.",
            "My order was {order}, for reference.",
        ),
    ),
    "privacy": Intent(
        core=(
            "Please delete all the personal data you hold about me.",
            "I'd like a copy of all the data you have on me under GDPR.",
            "How do I stop your marketing emails? I've clicked unsubscribe three times already.",
            "Do you share my information with third parties or advertisers?",
            "Remove my phone number from your system, I never agreed to text messages.",
            "I want to exercise my right to erasure. My email is {email}.",
            "Why am I still getting promotional texts when I opted out in {month}?",
            "Please take me off your mailing list.",
            "Who can see my order history and how long do you keep it?",
            "What cookies does your site set, and how do I reject the tracking ones?",
            "Please close my profile and erase everything, including old orders and addresses.",
            "This is a subject access request for the account linked to {email}.",
            "Were my details exposed in the data breach that was in the news?",
            "Stop using my purchase history for personalised ads, please.",
            "I never signed up for your newsletter. How did you get my address?",
            "Can you confirm that my card details aren't stored after I pay?",
            "Please don't pass my address on to any partner companies.",
            "I want all my photos and reviews removed from your website.",
            "Under the DSGVO I request information about all data stored about me.",
            "Does the app track my location even when I'm not using it?",
            "Opt me out of all data sharing, including your so-called analytics partners.",
            "How do I download everything you hold on me in a machine-readable format?",
            "I'd like my account and all information attached to it permanently wiped.",
            "I keep getting your catalogues in the post, please stop sending them to {street}.",
            "What is your legal basis for processing my data, and who is your data protection officer?",
            "Please confirm in writing that my data has been deleted within the 30 days required.",
            "Your app wants access to my contacts. Why does a shop need that?",
            "I got an email meant for another customer with their name and order on it. That's a serious leak.",
            "i want to know who you sold my email to, i get spam since i bought here",
            "Your privacy policy says you keep data for 10 years, I want mine removed now.",
        ),
        short=(
            "unsubscribe {email} from everything",
            "delete all my data please",
            "stop the marketing emails",
            "send me a copy of my data",
            "remove my number from your lists",
            "who do you share my data with?",
            "take me off your mailing list",
            "no more catalogues to {street}",
        ),
        details=(
            "My email is {email}.",
            "The account is in the name of {fullname}.",
            "I already wrote to you on {date} and got no answer.",
            "Please confirm once this is done.",
            "I know I have this right under GDPR.",
            "I haven't ordered anything from you in years.",
            "My postal address is {street}, {city}.",
            "I'm not comfortable with how much you seem to know about me.",
        ),
    ),
}

LABELS = tuple(INTENTS)

# --------------------------------------------------------------------------------------------
# Styles: openers, closers, fillers and asides
# --------------------------------------------------------------------------------------------

EMAIL_GREETINGS = (
    "Hi,",
    "Hello,",
    "Hi there,",
    "Dear Support Team,",
    "Dear Sir or Madam,",
    "Good morning,",
    "Hello team,",
    "Hey,",
    "To whom it may concern,",
    "Good afternoon,",
    "Dear customer service,",
)
EMAIL_PRE_CLOSE = (
    "Looking forward to hearing from you.",
    "Thanks for your help.",
    "Let me know if you need anything else from me.",
    "Hope you can help.",
    "Please get back to me as soon as possible.",
    "Thanks in advance.",
)
EMAIL_CLOSERS = ("Thanks,", "Many thanks,", "Kind regards,", "Best,", "Cheers,", "Regards,", "Best wishes,")
CHAT_OPENERS = ("hi,", "hey,", "hello?", "hi there,", "quick question:", "hiya,", "morning!")
CHAT_CLOSERS = ("thx", "ty", "thanks", "cheers", "pls help", "??")
ANGRY_OPENERS = (
    "This is absolutely ridiculous.",
    "I'm really not happy.",
    "Third time contacting you about this!",
    "Unbelievable.",
    "Seriously?",
    "I am sick of this.",
    "Your service is a joke.",
    "What is going on with you lot?",
    "Very disappointed.",
)
ANGRY_CLOSERS = (
    "Sort it out.",
    "I want an answer today.",
    "Fix this now.",
    "Not good enough.",
    "I'll be leaving a review about this.",
    "Absolutely appalling.",
    "Don't send me a copy-paste reply.",
)
RAMBLE_OPENERS = (
    "Sorry, this might be a long one.",
    "I'm not very good with computers so please bear with me.",
    "I've been a customer for about six years now and never had to write in before.",
    "My son usually deals with this sort of thing but he's away.",
    "I'm writing this on my phone on the bus so excuse any typos.",
    "I did try to find the answer in your FAQ first.",
    "To give you some background, I'm usually really happy with you.",
)
RAMBLE_CLOSERS = (
    "Sorry for the essay.",
    "Hope that makes sense.",
    "Anyway, that's it from me.",
    "Not sure if this is the right place to ask.",
    "Sorry if I've sent this to the wrong team.",
)
# (topic, sentence): a second topic mentioned in passing; skipped when it matches the message's intent.
ASIDES = (
    ("delivery", "By the way, my last parcel came really quickly, so thanks for that."),
    ("feedback", "Also, the new app design looks great."),
    ("billing", "Unrelated, I'll send a separate message about an invoice question."),
    ("privacy", "PS I'm also getting way too many of your newsletters, but that's for another day."),
    ("technical_issue", "Your website was also really slow today, just saying."),
    ("product_question", "Also, will the {product2} be back in stock soon? Not urgent."),
    ("account_access", "I had to reset my password twice just to write this, by the way."),
    ("delivery", "Side note: the {courier} driver last week was lovely."),
    ("refund", "I'm also still waiting on money for an older return, but I'll chase that separately."),
)
SIGNATURES = ("Sent from my iPhone", "Sent from my Galaxy", "Get Outlook for Android")

STYLE_WEIGHTS = {"email": 24, "chat": 34, "terse": 13, "angry": 13, "rambling": 16}
# Angry pre-sales questions or angry compliments would read oddly, so those intents get few.
ANGRY_WEIGHT = {"product_question": 0, "feedback": 6}

COMMON_MISSPELLINGS = {
    "received": "recieved",
    "definitely": "definately",
    "address": "adress",
    "separate": "seperate",
    "which": "wich",
    "because": "becuase",
    "really": "realy",
    "until": "untill",
    "please": "plese",
    "account": "acount",
    "password": "pasword",
    "subscription": "subscribtion",
    "tomorrow": "tommorow",
    "immediate": "immediat",
    "whether": "wether",
    "necessary": "neccessary",
    "occurred": "occured",
    "business": "buisness",
    "anymore": "anymroe",
    "parcel": "parcle",
    "haven't": "havent",
}
CHAT_ABBREVIATIONS = (
    (r"\bplease\b", "pls"),
    (r"\bthanks\b", "thx"),
    (r"\byou\b", "u"),
    (r"\bbecause\b", "cos"),
    (r"\bI'm\b", "im"),
    (r"\bcan't\b", "cant"),
    (r"\bdon't\b", "dont"),
    (r"\bare\b", "r"),
)


def _typo(text: str, rng: random.Random) -> str:
    """Introduce one plausible typo into an alphabetic word of ``text``."""
    words = list(re.finditer(r"\b[A-Za-z']{4,}\b", text))
    if not words:
        return text
    known = [m for m in words if m.group(0).lower() in COMMON_MISSPELLINGS]
    if known and rng.random() < 0.5:
        match = rng.choice(known)
        word = match.group(0)
        wrong = COMMON_MISSPELLINGS[word.lower()]
        if word[0].isupper():
            wrong = wrong[0].upper() + wrong[1:]
    else:
        match = rng.choice(words)
        word = match.group(0)
        i = rng.randrange(1, len(word) - 1)
        op = rng.randrange(3)
        if op == 0:
            wrong = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif op == 1:
            wrong = word[:i] + word[i + 1 :]
        else:
            wrong = word[:i] + word[i] + word[i:]
    return text[: match.start()] + wrong + text[match.end() :]


def _chatify(text: str, rng: random.Random) -> str:
    """Make a message look typed into a chat box: lower case, abbreviations, loose punctuation."""
    if rng.random() < 0.7:
        text = text.lower()
    for pattern, short in CHAT_ABBREVIATIONS:
        if rng.random() < 0.35:
            text = re.sub(pattern, short, text, flags=re.IGNORECASE)
    if rng.random() < 0.6:
        text = text.rstrip(".")
    if rng.random() < 0.25:
        text = text.replace(". ", " ").replace(", ", " ")
    return text


def _shout(text: str, rng: random.Random) -> str:
    """Add the emphasis an angry customer types: capitals and exclamation marks."""
    for word in ("still", "never", "nothing", "again", "twice", "three", "weeks", "not"):
        if re.search(rf"\b{word}\b", text) and rng.random() < 0.5:
            text = re.sub(rf"\b{word}\b", word.upper(), text, count=1)
            break
    if rng.random() < 0.6:
        text = re.sub(r"\.$", rng.choice(("!", "!!", "!!!")), text)
        text = re.sub(r"\?$", rng.choice(("?!", "??", "???")), text)
    return text


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", text.lower())
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _pick_style(label: str, rng: random.Random) -> str:
    weights = dict(STYLE_WEIGHTS)
    weights["angry"] = ANGRY_WEIGHT.get(label, weights["angry"])
    styles = list(weights)
    return rng.choices(styles, weights=[weights[s] for s in styles])[0]


def compose(label: str, template: str, style: str, rng: random.Random) -> str:
    """Build one message for ``label`` from a core/short ``template`` in the given ``style``."""
    intent = INTENTS[label]
    ctx: dict[str, str] = {}
    body = fill(template, rng, ctx)

    used_slots = set(_SLOT_RE.findall(template))
    used_details: list[str] = []

    def detail() -> str:
        """A detail sentence that repeats neither a slot nor a phrase already in the message."""
        options = [
            d
            for d in intent.details
            if d not in used_details
            and not used_slots & set(_SLOT_RE.findall(d))
            and not _trigrams(d) & _trigrams(template)
        ]
        if not options:
            return ""
        chosen = rng.choice(options)
        used_details.append(chosen)
        return fill(chosen, rng, ctx)

    def aside() -> str:
        topic, sentence = rng.choice(ASIDES)
        return "" if topic == label else fill(sentence, rng, ctx)

    parts: list[str]
    if style == "terse":
        text = body
        if rng.random() < 0.3:
            text = f"{rng.choice(CHAT_OPENERS)} {text}"
        return _chatify(text, rng) if rng.random() < 0.8 else text
    if style == "chat":
        parts = [body]
        if rng.random() < 0.35:
            parts.insert(0, rng.choice(CHAT_OPENERS))
        if rng.random() < 0.25:
            parts.append(detail())
        if rng.random() < 0.3:
            parts.append(rng.choice(CHAT_CLOSERS))
        return _chatify(" ".join(p for p in parts if p), rng)
    if style == "angry":
        parts = [body]
        if rng.random() < 0.75:
            parts.insert(0, rng.choice(ANGRY_OPENERS))
        if rng.random() < 0.4:
            parts.append(detail())
        if rng.random() < 0.7:
            parts.append(rng.choice(ANGRY_CLOSERS))
        return _shout(" ".join(p for p in parts if p), rng)
    if style == "rambling":
        parts = [rng.choice(RAMBLE_OPENERS), body, detail()]
        if rng.random() < 0.5:
            parts.append(detail())
        if rng.random() < 0.3:
            parts.append(aside())
        parts.append(rng.choice(RAMBLE_CLOSERS))
        text = " ".join(p for p in parts if p)
        return text.lower() if rng.random() < 0.15 else text
    # email
    parts = [rng.choice(EMAIL_GREETINGS), body]
    if rng.random() < 0.6:
        parts.append(detail())
    if rng.random() < 0.12:
        parts.append(aside())
    if rng.random() < 0.5:
        parts.append(rng.choice(EMAIL_PRE_CLOSE))
    name = _person(rng, ctx)
    parts.append(f"{rng.choice(EMAIL_CLOSERS)} {name if rng.random() < 0.4 else name.split()[0]}")
    if rng.random() < 0.1:
        parts.append(rng.choice(SIGNATURES))
    return " ".join(p for p in parts if p)


def normalise(text: str) -> str:
    """Key used for duplicate detection: lower case with whitespace collapsed."""
    return " ".join(text.lower().split())


def split_templates(rng: random.Random) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """Assign each intent's templates to train or test; returns label -> split -> [(id, template)]."""
    result: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for label, intent in INTENTS.items():
        result[label] = {"train": [], "test": []}
        for kind, templates in (("core", intent.core), ("short", intent.short)):
            ids = [(f"{label}/{kind}/{i}", t) for i, t in enumerate(templates)]
            rng.shuffle(ids)
            n_test = max(1, round(len(ids) * TEST_TEMPLATE_FRACTION))
            result[label]["test"].extend(ids[:n_test])
            result[label]["train"].extend(ids[n_test:])
    return result


def generate(
    seed: int = SEED, rows_per_label: int = ROWS_PER_LABEL, test_rows_per_label: int = TEST_ROWS_PER_LABEL
) -> list[Ticket]:
    """Generate all tickets deterministically from ``seed``, in the (shuffled) order they are written."""
    rng = random.Random(seed)
    templates = split_templates(rng)
    seen: set[str] = set()
    tickets: list[Ticket] = []
    for label in LABELS:
        for split, count in (("test", test_rows_per_label), ("train", rows_per_label - test_rows_per_label)):
            pool = templates[label][split]
            core = [t for t in pool if "/core/" in t[0]]
            short = [t for t in pool if "/short/" in t[0]]
            order = list(core)
            rng.shuffle(order)
            made = attempts = 0
            while made < count:
                attempts += 1
                if attempts > 50 * count:
                    raise RuntimeError(f"could not make {count} unique {split} rows for {label}")
                style = _pick_style(label, rng)
                if style == "terse":
                    template_id, template = rng.choice(short)
                else:
                    template_id, template = order[made % len(order)]
                text = compose(label, template, style, rng)
                if rng.random() < 0.15:
                    text = _typo(text, rng)
                    if rng.random() < 0.3:
                        text = _typo(text, rng)
                text = " ".join(text.split())
                key = normalise(text)
                if key in seen or not MIN_WORDS <= len(text.split()) <= MAX_WORDS:
                    continue
                seen.add(key)
                tickets.append(Ticket(text, label, split, template_id))
                made += 1
    rng.shuffle(tickets)
    return tickets


def write_csv(tickets: Sequence[Ticket], path: Path) -> None:
    """Write ``tickets`` as a UTF-8 CSV with the columns text,label,split and ``\\n`` line endings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for ticket in tickets:
            writer.writerow((ticket.text, ticket.label, ticket.split))


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: write the dataset to the given path (default: next to this file)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="CSV file to write")
    args = parser.parse_args(argv)
    tickets = generate()
    write_csv(tickets, args.output)
    print(f"wrote {len(tickets)} rows to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
