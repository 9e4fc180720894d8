"""Tokens (razdel) and lemmas (natasha's MorphVocab over pymorphy2), loaded once per process.

pymorphy2 finds its dictionaries through ``pkg_resources``, which setuptools 82 dropped: the
project pins ``setuptools<82`` (tests construct ``MorphVocab()`` so CI notices a change)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from razdel import tokenize

if TYPE_CHECKING:
    from natasha import MorphVocab

WORD_CACHE = 200_000  # distinct word forms remembered: a city's posts reuse a few thousand


@functools.cache
def morph_vocab() -> MorphVocab:
    """The dictionaries (about 15 MB in memory), on first use only."""
    from natasha import MorphVocab

    return MorphVocab()


def tokens(text: str) -> list[str]:
    return [token.text for token in tokenize(text)]


@functools.lru_cache(maxsize=WORD_CACHE)
def lemma(word: str) -> str:
    """The dictionary form of a lower-case word; the word itself when it is not a word."""
    if not any(ch.isalpha() for ch in word):
        return word
    forms = morph_vocab().parse(word)
    return forms[0].normal if forms else word


def lemmas(text: str) -> list[str]:
    """The lemmas of a normalised text's words (punctuation dropped)."""
    return [lemma(token) for token in tokens(text) if any(ch.isalnum() for ch in token)]
