"""Words for the lexical checks: tokenising, light stemming, English stopwords, specificity weights.

Dependency-free on purpose: the checks run on every sample and must cost no tokens and no downloads.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass

ENGLISH_STOPWORDS = frozenset("""
a about above after again against all also am an and any are aren as at be because been before being below
between both but by can cannot could did didn do does doesn doing don down during each either else even ever
every few for from further had has hasn have haven having he her here hers herself him himself his how however
i if in into is isn it its itself just let ll may me might more most much must my myself neither no nor not now
of off on once only or other ought our ours ourselves out over own per rather re same shall she should so some
such than that the their theirs them themselves then there these they this those though through thus to too
under until up upon us ve very via was wasn we were weren what when where whether which while who whom whose
why will with within without would yet you your yours yourself yourselves yes okay ok s t d m
""".split())

# Frequent English content words: present in many answers whatever the topic, so they say little
# about grounding. (A fixed list stands in for corpus IDF, which labgen cannot download.)
GENERIC_WORDS = frozenset("""
make made makes use used uses using many new way ways time times well one two first also like get got give
given gives take taken good great important main mainly known called include includes including included part
parts several different various number numbers kind kinds type types thing things example examples help helps
able allow allows allowed provide provides provided based lead leads led result results become became show shows
shown see seen mean means help work works worked people year years day days place places high low large small
long short old young often usually generally typically especially specifically particularly mostly certain
around across along among amount lot lots far back still since already later early new need needs needed
according answer question context text passage document mentioned states stated say says said describe
described explain explains called name named refer refers known term terms general overall total whole
table tables list lists listed row rows column columns
""".split())

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60",
    "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000",
    "million": "1000000", "billion": "1000000000", "dozen": "12", "half": "0.5", "once": "1", "twice": "2",
    "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6", "seventh": "7",
    "eighth": "8", "ninth": "9", "tenth": "10",
}
# Number words that are also everyday words ("one of them", "second opinion"): not treated as facts.
_AMBIGUOUS_NUMBER_WORDS = frozenset({"one", "once", "first", "second", "half"})

_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*(?:st|nd|rd|th|s)?|[^\W\d_]+(?:['\u2019][^\W\d_]+)?", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_SUFFIXES = ("ational", "ization", "isation", "iveness", "fulness", "ousness", "ations", "ation", "ions", "ion",
             "ments", "ment",
             "ness", "ings", "ing", "ities", "ity", "ies", "ied", "ers", "er", "edly", "ed", "ly", "es", "s")


@dataclass(frozen=True)
class Word:
    """One word of a text: its surface form, stem, and what kind of fact it can carry."""

    surface: str
    stem: str
    is_number: bool
    is_name: bool  # capitalised inside a sentence: a proper name or acronym


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix-stripping stem: enough to match 'constructed' with 'construction'. Cached: the
    same words recur in every answer and context."""
    word = word.lower().replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 4:
        return word.rstrip("s") if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            if suffix in ("ies", "ied", "ities"):
                base += "y"
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # running -> run, stopped -> stop
            return base.rstrip("e") if len(base) > 4 else base
    return word.rstrip("e") if len(word) > 4 else word


def normalize_number(token: str) -> str:
    token = re.sub(r"(st|nd|rd|th|s)$", "", token.lower())
    if re.fullmatch(r"\d{1,3}(,\d{3})+", token):
        token = token.replace(",", "")
    return token.rstrip("0").rstrip(".") if "." in token else token


_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def _merge_scaled_numbers(found: list[Word]) -> list[Word]:
    """'7.8 million' -> one number 7800000, so it matches '7,800,000' in a context."""
    out: list[Word] = []
    for word in found:
        scale = _SCALES.get(word.surface.lower())
        if scale and out and out[-1].is_number and re.fullmatch(r"\d+(\.\d+)?", out[-1].stem):
            value = float(out[-1].stem) * scale
            text = str(int(value)) if value == int(value) else str(value)
            out[-1] = Word(out[-1].surface + " " + word.surface, text, True, False)
            continue
        out.append(word)
    return out


_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_COMPOUND_NUMBER = re.compile(r"\b(" + "|".join(_TENS) + r")[- ](" + "|".join(_UNITS) + r")\b", re.IGNORECASE)


def _compound_numbers(text: str) -> str:
    """'forty-nine' -> '49', so spelled-out numbers match digits in a context."""
    return _COMPOUND_NUMBER.sub(lambda m: str(_TENS[m.group(1).lower()] + _UNITS[m.group(2).lower()]), text)


def words(text: str) -> list[Word]:
    """Every word of a text, with names told apart from sentence-initial capitals."""
    return list(_words(text))


@lru_cache(maxsize=8192)
def _words(text: str) -> tuple[Word, ...]:
    """Cached: a leaf's contexts, chunks and seed examples are read again for every candidate."""
    out: list[Word] = []
    for sentence in split_sentences(_compound_numbers(text)):
        for index, match in enumerate(_TOKEN.finditer(sentence)):
            surface = match.group(0)
            if surface[0].isdigit():
                out.append(Word(surface, normalize_number(surface), True, False))
                continue
            lower = surface.lower()
            if lower in NUMBER_WORDS and lower not in _AMBIGUOUS_NUMBER_WORDS:
                out.append(Word(surface, NUMBER_WORDS[lower], True, False))
                continue
            capitalised = surface[0].isupper() and lower not in ENGLISH_STOPWORDS
            is_name = capitalised and (index > 0 or surface.isupper() and len(surface) > 1)
            out.append(Word(surface, stem(surface), False, is_name))
    return tuple(_merge_scaled_numbers(out))


def content_words(text: str) -> list[Word]:
    """Words that carry content: no stopwords, no one-letter words."""
    return [w for w in words(text)
            if w.is_number or (w.surface.lower() not in ENGLISH_STOPWORDS and len(w.surface) > 1)]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def specificity(word: Word) -> float:
    """How much a word says about facts: numbers and names most, generic words least.

    Stands in for IDF without a corpus: rare words are long, capitalised or numeric; frequent content
    words are short and listed in GENERIC_WORDS.
    """
    if word.is_number:
        return 3.0 if any(c.isdigit() for c in word.surface) else 1.5  # spelled-out numbers are often paraphrase
    if word.is_name:
        return 2.5
    lower = word.surface.lower()
    if lower in GENERIC_WORDS or word.stem in GENERIC_WORDS:
        return 0.3
    return 0.6 + min(len(lower), 12) / 12.0  # 0.77 for "cat", 1.6 for "photosynthesis"
