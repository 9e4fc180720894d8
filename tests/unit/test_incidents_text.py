"""Normalisation and lemmas of the incident pipeline (natasha's MorphVocab constructed here:
a setuptools or pymorphy2 change that breaks it fails CI)."""

from __future__ import annotations

import pytest

from incidents.nlp.lemmas import lemma, lemmas, morph_vocab, tokens
from incidents.nlp.normalise import normalise


@pytest.mark.parametrize(("raw", "expected"), [
    ("ЯМА на Ленина 15!!! 😡😡 https://vk.com/wall-1_2", "яма на ленина 15!"),
    ("Ужааас, опять нет горячей воды??", "ужас, опять нет горячей воды?"),
    ("[id123|Иван], посмотрите #подслушано @admin", "иван, посмотрите"),
    ("Ёлки на ул. Мира, д. 7/1, кв 3", "елки на ул. мира, д. 7/1, кв 3"),
    ("пишите в vk.com/club1 или на сайт gorod.ru/news", "пишите в или на сайт"),
    ("  много\n\nпробелов\tздесь ", "много пробелов здесь"),
    ("Дом 15к2 и 1️⃣ 2️⃣", "дом 15к2 и 1 2"),
])
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_morph_vocab_loads_once_and_lemmatises() -> None:
    assert morph_vocab() is morph_vocab()
    assert lemmas(normalise("Выбоины на дорогах, машины бьются!")) == [
        "выбоина", "на", "дорога", "машина", "биться"]
    assert lemmas(normalise("Во дворе не убирают снег, трубы прорвало")) == [
        "в", "двор", "не", "убирать", "снег", "труба", "прорвать"]
    assert lemma("15") == "15"
    assert tokens("ул. Ленина, 15") == ["ул", ".", "Ленина", ",", "15"]
