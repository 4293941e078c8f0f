"""Text kept for readers who do not share the writer's language.

A message written when data arrives (what the server's check found in a phone's answers) is
read later, by someone else: a French phone's problems must read English on an English
supervisor's page. Such messages are stored in every interface language at once, as
`{"fr": …, "en": …}`, and each reader gets theirs (`in_reader_language`)."""

from collections.abc import Callable, Mapping

from django.conf import settings
from django.utils import translation


def in_each_language(build: Callable[[], str]) -> dict[str, str]:
    """What `build` writes, once in each interface language (settings.LANGUAGES). `build`
    must translate inside itself (call `gettext` when called), so that each call follows
    the language active then."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(build())
    return texts


def in_reader_language(texts: Mapping[str, str] | str) -> str:
    """The reader's text among those `in_each_language` stored, else the default language's,
    else any. A plain string (stored before messages were kept in every language) is
    returned as it is."""
    if isinstance(texts, str):
        return texts
    language = translation.get_language() or settings.LANGUAGE_CODE
    for code in (language, language.split("-")[0], settings.LANGUAGE_CODE):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")
