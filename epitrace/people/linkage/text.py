"""Normalising the values a person record is compared on.

Everything here is pure and cached: the same names, streets and towns recur
across millions of records, so each distinct raw value is folded, keyed and
looked up in the nickname table once.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

import jellyfish

from epitrace.lib.usstates import usps_code

NICKNAMES_CSV = Path(__file__).resolve().parent.parent / "data" / "nicknames.csv"

# Letters NFKD leaves whole; lab systems and registries spell them either way.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",
    }
)
# Apostrophes join (O'Brien = OBrien); any other punctuation separates words.
_JOINERS = re.compile("['\u2019`\u00b4]")
_SEPARATORS = re.compile(r"[^0-9a-z]+")

# Street-type and unit words written several ways; the long form is kept so
# "tullaroop st" and "tullaroop street" compare equal.
STREET_WORDS = {
    "st": "street", "str": "street", "rd": "road", "ave": "avenue", "av": "avenue",
    "blvd": "boulevard", "dr": "drive", "drv": "drive", "ln": "lane", "ct": "court",
    "crt": "court", "pl": "place", "cres": "crescent", "cr": "crescent", "cct": "circuit",
    "cir": "circle", "hwy": "highway", "pkwy": "parkway", "pde": "parade", "tce": "terrace",
    "ter": "terrace", "sq": "square", "cl": "close", "cv": "cove", "wy": "way",
    "n": "north", "s": "south", "e": "east", "w": "west", "apt": "apartment",
    "ste": "suite", "fl": "floor", "bldg": "building",
}  # fmt: skip
PLACE_WORDS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort", "pt": "point"}


# Bounded: a long-running importer must not grow these without limit; the
# values that recur (names, towns) stay in them.
_cached = lru_cache(maxsize=200_000)


@_cached
def fold(value: str) -> str:
    """Lower case, accents and punctuation removed, single spaces."""
    text = unicodedata.normalize("NFKD", value.casefold().translate(_LETTERS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _JOINERS.sub("", text.translate(_LETTERS))
    return _SEPARATORS.sub(" ", text).strip()


@_cached
def phonetic(value: str) -> str:
    """A sound key for a folded name: metaphone, which copes with the
    consonant confusions of dictated and transcribed names."""
    key = value.replace(" ", "")
    return jellyfish.metaphone(key) if key else ""


@_cached
def nysiis(value: str) -> str:
    key = value.replace(" ", "")
    return jellyfish.nysiis(key) if key else ""


@cache
def _nickname_table() -> dict[str, frozenset[str]]:
    """Every name and nickname -> the formal names it can stand for."""
    table: dict[str, set[str]] = {}
    with NICKNAMES_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            formal, nickname = fold(row["name"]), fold(row["nickname"])
            if formal and nickname:
                table.setdefault(formal, {formal}).add(formal)
                table.setdefault(nickname, {nickname}).add(formal)
    return {name: frozenset(formals) for name, formals in table.items()}


@_cached
def formal_names(given: str) -> frozenset[str]:
    """The formal names a folded given name may be short for (itself included)."""
    first = given.split(" ", 1)[0]
    return _nickname_table().get(first, frozenset({first}))


def words(value: str, table: dict[str, str]) -> str:
    """Folded text with its abbreviations spelled out."""
    return " ".join(table.get(word, word) for word in fold(value).split())


@_cached
def split_street(value: str) -> tuple[str, str]:
    """(house number, street name without spaces) of a street line.

    The number is the first token holding a digit; the name drops spaces so
    "pridhamstreet" and "pridham street" agree.
    """
    number = ""
    rest: list[str] = []
    for word in words(value, STREET_WORDS).split():
        if not number and any(ch.isdigit() for ch in word):
            number = word
        else:
            rest.append(word)
    return number, "".join(rest)


def digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def phone_key(value: str) -> str:
    """The last ten digits: country codes and trunk prefixes come and go
    between senders. Fewer than seven digits is no usable number."""
    found = digits(value)
    return found[-10:] if len(found) >= 7 else ""


@_cached
def postcode_key(value: str) -> str:
    """Postcodes without spaces; a ZIP+4 keeps its five-digit ZIP."""
    key = fold(value).replace(" ", "")
    if key.isdigit() and len(key) == 9:
        return key[:5]
    return key


@_cached
def state_key(value: str) -> str:
    return usps_code(value).lower() or fold(value)


@_cached
def sex_key(value: str) -> str:
    """M or F; anything else (other, unknown, blank) cannot be compared."""
    folded = fold(value)
    if folded in {"m", "male", "man", "h", "homme", "masculino", "1"}:
        return "M"
    if folded in {"f", "female", "woman", "femme", "femenino", "feminino", "2"}:
        return "F"
    return ""


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T ])")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})$")


def parse_date(value: str) -> dt.date | None:
    """ISO (YYYY-MM-DD, a time may follow) or YYYYMMDD; anything else, or an
    impossible day such as 1980-05-71, is treated as missing."""
    text = value.strip()
    found = _ISO.match(text) or _COMPACT.match(text)
    if not found:
        return None
    try:
        return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def identifier_key(value: str) -> str:
    """Identifiers compare on letters and digits only, case-insensitively."""
    return fold(value).replace(" ", "")
