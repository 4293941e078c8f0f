"""The French catalogue is complete, keeps its placeholders, and is what French pages show.

The page test needs the compiled catalogue (locale/fr/LC_MESSAGES/django.mo): `make test`
compiles it before running pytest.
"""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from fieldwork.accounts.models import Role

PO_PATH = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
NAMED = re.compile(r"%\([a-z_]+\)[sd]")
POSITIONAL = re.compile(r"%[sd]")


def _catalog():
    with PO_PATH.open("rb") as po:
        return read_po(po, locale="fr")


def _entries():
    return [message for message in _catalog() if message.id]


def _forms(message) -> tuple[str, ...]:
    return tuple(message.string) if message.pluralizable else (message.string,)


def _pairs(message) -> list[tuple[str, str]]:
    """(English, French) pairs: French form 0 goes with the English singular, form 1 with the
    plural (French: n > 1)."""
    if message.pluralizable:
        return list(zip(message.id, message.string, strict=True))
    return [(message.id, message.string)]


def _outer_whitespace(text: str) -> tuple[str, str]:
    return text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]


def _named(text: str) -> set[str]:
    return set(NAMED.findall(text))


def test_the_header_is_filled_in_and_not_fuzzy():
    catalog = _catalog()
    headers = {name: value.strip() for name, value in catalog.mime_headers}
    assert not catalog.fuzzy
    assert headers["Language"] == "fr"
    assert headers["Project-Id-Version"] == "Fieldwork"
    assert headers["Language-Team"] == "French"
    assert headers["Last-Translator"] == "Fieldwork team"
    assert catalog.num_plurals == 2


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = _entries()
    assert len(entries) > 300  # the whole catalogue was read, not an empty file
    untranslated = [m.id for m in entries if not all(form.strip() for form in _forms(m))]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_plural_entries_have_both_french_forms():
    plurals = [m for m in _entries() if m.pluralizable]
    assert plurals
    for message in plurals:
        assert len(message.string) == 2, message.id


def test_singular_entries_keep_exactly_their_named_placeholders():
    wrong = {
        m.id: (sorted(_named(m.id)), sorted(_named(m.string)))
        for m in _entries()
        if not m.pluralizable and _named(m.string) != _named(m.id)
    }
    assert wrong == {}


def test_plural_forms_keep_the_named_placeholders():
    for message in (m for m in _entries() if m.pluralizable):
        singular, plural = message.id
        allowed = _named(singular) | _named(plural)
        required = _named(singular) - {"%(count)s", "%(count)d"}
        for form in message.string:
            found = _named(form)
            assert found <= allowed, (message.id, form)
            assert required <= found, (message.id, form)


def test_positional_placeholders_and_outer_whitespace_are_kept():
    for message in _entries():
        for msgid, form in _pairs(message):
            assert len(POSITIONAL.findall(form)) == len(POSITIONAL.findall(msgid)), form
            assert _outer_whitespace(form) == _outer_whitespace(msgid), form


def test_sentences_end_as_their_english_does():
    """A full stop, question mark or colon at the end of the English is there in French too."""
    wrong = []
    for message in _entries():
        for msgid, form in _pairs(message):
            end = msgid.rstrip()[-1:]
            if end in ".?:" and not form.rstrip().endswith(end):
                wrong.append((msgid, form))
    assert wrong == []


@pytest.mark.django_db
def test_the_source_list_renders_in_french(client, study_world):
    client.force_login(study_world.member(Role.STUDY_ADMIN))
    response = client.get(study_world.url("sources:source-list"), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="fr">' in page
    for french in ("Nouvelle source", "Filtrer", "Âge ou année de naissance", "1 source"):
        assert french in page, french
    for english in ("New source", "Age or birth year", "No source matches."):
        assert english not in page, english
