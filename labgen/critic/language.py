"""A small language check: is a text in the expected language, and is it language at all?

Three signals, no model: the share of letters in the expected script, the share of words that are that
language's stopwords compared with other languages' stopwords, and how word-like the words are (vowels,
length), which tells prose from gibberish. Code blocks and inline code are ignored.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from labgen.critic.lexicon import ENGLISH_STOPWORDS
from labgen.errors import ConfigError

STOPWORDS: dict[str, frozenset[str]] = {
    "en": ENGLISH_STOPWORDS - {"s", "t", "d", "m", "a", "i"} | {"a", "i"},
    "fr": frozenset("le la les un une des du de et est sont en dans que qui pour pas sur au aux avec ce cette "
                    "il elle ils nous vous je ne se son sa ses leur par plus ou mais comme été être environ "
                    "très aussi tout tous sans sous entre chaque".split()),
    "de": frozenset("der die das und ist sind ein eine einen nicht zu mit von den dem des im auf für sich es "
                    "ich sie wir auch als wird werden bei oder aber wie noch nach aus dass bis jeden jede jeder zum zur vom "
                    "beim über unter kann können hat haben war waren man nur sehr durch einem einer eines".split()),
    "es": frozenset("el la los las un una unos y es son en de del que por para con no se su sus al lo como "
                    "más pero este esta fue ser muy también hay ya".split()),
    "it": frozenset("il lo la gli le un una di del della dei che è e sono in per con non si su al alla come "
                    "più ma questo questa anche molto nel nella".split()),
    "pt": frozenset("o a os as um uma de do da dos das em no na que e é são para com não se por mais como "
                    "mas foi ser muito também ao".split()),
    "nl": frozenset("de het een en is zijn van in op te dat die niet met voor aan er ook als bij maar om "
                    "wordt werd naar uit dit".split()),
}
_LATIN_LANGUAGES = frozenset(STOPWORDS)
_LANGUAGES_OF = {word: tuple(code for code, words in STOPWORDS.items() if word in words)
                 for word in frozenset().union(*STOPWORDS.values())}  # a stopword's languages
_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SYMBOLS = re.compile(r"[=(){}\[\];<>+*/^_$\\]")
_NON_LATIN = re.compile(r"[^\x00-\x7f\u00c0-\u024f]")  # neither ASCII nor Latin-1 Supplement to Latin Extended-B
_VOWELS = set("aeiouyàáâãäåèéêëìíîïòóôõöùúûüÿæœ")
_MIN_WORDS = 4  # fewer words than this cannot be judged: the check passes, unsure


@dataclass(frozen=True)
class LanguageReport:
    score: float  # 0..1, how much the text looks like prose in the expected language
    words: int
    detected: str  # best-matching language code, "unknown" or "gibberish"
    reason: str


@lru_cache(maxsize=16384)
def _word_like(word: str) -> bool:
    """Cached: the same words recur in every sample."""
    lower = word.lower()
    if len(lower) > 18:
        return False
    if len(lower) > 3 and not any(c in _VOWELS for c in lower):
        return False
    return not re.search(r"(.)\1\1", lower)  # no letter thrice in a row


def detect_language(text: str, expected: str = "en") -> LanguageReport:
    """How well text matches the expected language (an ISO 639-1 code of STOPWORDS)."""
    if expected not in STOPWORDS:
        raise ConfigError(f"the language check knows {sorted(STOPWORDS)}, not {expected!r}",
                          hint="set the critic's `language` to one of those, or to null to disable the check")
    prose = _CODE.sub(" ", text or "")
    tokens = _WORD.findall(prose)
    if len(tokens) < _MIN_WORDS:
        return LanguageReport(1.0, len(tokens), "unknown", f"too short to tell ({len(tokens)} words)")
    symbols = len(_SYMBOLS.findall(prose))
    if symbols >= 0.5 * len(tokens):  # unfenced code or mathematics: not prose in any language
        return LanguageReport(1.0, len(tokens), "code or math", "code or mathematics, not judged")
    letters = "".join(tokens)
    non_latin = len(_NON_LATIN.findall(letters))
    latin = (len(letters) - non_latin) / len(letters)
    script = latin if expected in _LATIN_LANGUAGES else 1.0 - latin
    latin_tokens = [t for t in tokens if not _NON_LATIN.search(t)] if non_latin else tokens
    word_like = (sum(map(_word_like, latin_tokens)) / len(latin_tokens)) if latin_tokens else 1.0
    found = dict.fromkeys(STOPWORDS, 0)  # stopwords of each language, in STOPWORDS order (ties go first)
    for word, count in Counter(map(str.lower, tokens)).items():
        for code in _LANGUAGES_OF.get(word, ()):
            found[code] += count
    hits = {code: count / len(tokens) for code, count in found.items()}
    best = max(hits, key=hits.__getitem__)
    own = hits[expected]
    rival = max(v for code, v in hits.items() if code != expected)
    if own + rival == 0:
        # No function words at all: a list of names or a terse phrase says nothing either way, but
        # a sentence of eight words or more without one is not prose in any listed language.
        names = sum(1 for t in tokens if t[0].isupper()) / len(tokens)
        stopword_signal = 0.2 if len(tokens) >= 8 and names < 0.5 else 0.6
    else:
        # Prose runs at 35-55% stopwords, terse answers at 15%: saturate there, and weigh rivals.
        stopword_signal = 0.5 * min(own / 0.15, 1.0) + 0.5 * own / (own + rival)
    score = script * word_like * stopword_signal
    if script < 0.5:
        detected = "non-latin script" if expected in _LATIN_LANGUAGES else "latin script"
    elif word_like < 0.7:
        detected = "gibberish"
    else:
        detected = best if hits[best] > 0 else "unknown"
    reason = (f"looks like {detected}: {own:.0%} {expected} stopwords, {script:.0%} in script, "
              f"{word_like:.0%} word-like")
    return LanguageReport(score, len(tokens), detected, reason)
