"""Post text as the pipeline reads it: no links, mentions or emoji, one space between words,
ё as е, lower case, and letters stretched for emphasis («ужааас», «!!!!») brought back."""

from __future__ import annotations

import re
import unicodedata

LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:ru|рф|com|org|net|su)(?:/\S*)?",
                  re.IGNORECASE)
MENTION = re.compile(r"\[(?:id|club|public)\d+\|([^\]]*)\]|@\w+|#\w+")
# Three or more of the same letter in a row: no Russian word has them.
STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
REPEATED_MARKS = re.compile(r"([!?.,])\1+")
SPACES = re.compile(r"\s+")


def _is_emoji(char: str) -> bool:
    category = unicodedata.category(char)
    return category in ("So", "Sk", "Cs", "Co") or 0xFE00 <= ord(char) <= 0xFE0F or (
        ord(char) in (0x200D, 0x20E3))


def normalise(text: str) -> str:
    """The text to classify. Keeps digits, punctuation and Cyrillic/Latin letters: house
    numbers («15к2», «д. 7/1») and street types («ул.») are what the address step needs."""
    text = unicodedata.normalize("NFKC", text)
    text = MENTION.sub(lambda m: m.group(1) or " ", text)
    text = LINK.sub(" ", text)
    text = "".join(" " if _is_emoji(ch) else ch for ch in text)
    text = text.replace("ё", "е").replace("Ё", "Е")
    text = STRETCHED.sub(r"\1", text)
    text = REPEATED_MARKS.sub(r"\1", text)
    return SPACES.sub(" ", text).strip().lower()
