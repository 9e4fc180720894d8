"""Street keys: citizens type one street many ways; the hotspot report groups them as one.

The rule, applied to the address text of a message:

1. lower-case, «ё» → «е»;
2. split on commas; in each part keep only words (letters, digits, «-», «/»): dots go, runs of
   spaces become one;
3. common street types written out or abbreviated become one spelling: «улица»/«ул.» → «ул»,
   «проспект»/«просп.»/«пр.» → «пр-т», «переулок» → «пер», «площадь» → «пл», «бульвар» → «б-р»,
   «шоссе» → «ш», «микрорайон»/«мкрн» → «мкр», «набережная» → «наб»; the city mark «г.»/«город»
   is dropped;
4. the house goes: the first part that is a house («15», «15а», «15/2», «д. 15», «дом 15»,
   «корп. 2», «стр. 1», «кв. 5») and every part after it; a house number at the end of the last
   part that is left («ул. Ленина 15», «ул. Ленина д. 15») goes too;
5. the parts are joined with «, ».

So «г. Новосибирск, улица Ленина, д. 20» and «Новосибирск,  ул.Ленина 15» are both
«новосибирск, ул ленина». An address with no street («Краснообск, дом 7») keys to the place.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[\w/-]+")
_HOUSE_NUMBER = re.compile(r"^\d+[а-яa-z]?(?:/\d+[а-яa-z]?)?$")
_HOUSE_MARKS = frozenset({"д", "дом", "корп", "корпус", "к", "стр", "строение", "кв",
                          "квартира", "под", "подъезд", "влд", "владение"})
_SPELLINGS = {
    "улица": "ул", "проспект": "пр-т", "просп": "пр-т", "пр": "пр-т", "пр-кт": "пр-т",
    "переулок": "пер", "площадь": "пл", "бульвар": "б-р", "бул": "б-р", "шоссе": "ш",
    "микрорайон": "мкр", "мкрн": "мкр", "мкр-н": "мкр", "набережная": "наб",
}
_DROP = frozenset({"г", "город"})


def _is_house(words: list[str]) -> bool:
    return bool(words) and (words[0] in _HOUSE_MARKS or bool(_HOUSE_NUMBER.match(words[0])))


def street_key(address: str) -> str:
    """The street an address lies on, normalised (see the module docstring); "" if none."""
    parts: list[list[str]] = []
    for raw in address.lower().replace("ё", "е").split(","):
        words = [_SPELLINGS.get(w, w) for w in _WORD.findall(raw)]
        words = [w for w in words if w not in _DROP]
        if not words:
            continue
        if _is_house(words):
            break
        parts.append(words)
    if parts:
        last = parts[-1]
        while len(last) > 1 and (_HOUSE_NUMBER.match(last[-1]) or last[-1] in _HOUSE_MARKS):
            last.pop()
    return ", ".join(" ".join(words) for words in parts)
