"""The XLSForm of a KoboToolbox asset: formpack's JSON fixtures hold the form as Kobo's asset
`content` (survey and choices rows as JSON, labels as lists in the order of `translations`)
beside its submissions. Fieldwork takes questionnaires as XLSForms only, so the tests write
that content back into a workbook, as KoboToolbox's own "Download XLS" does."""

import io
from typing import Any

import openpyxl

_TYPES = {
    "begin_group": "begin group",
    "end_group": "end group",
    "begin_repeat": "begin repeat",
    "end_repeat": "end repeat",
}
_TRANSLATED = ("label", "hint", "constraint_message", "required_message")


def _columns(rows: list[dict], translations: list[str | None]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        for key in row:
            if key in ("$kuid", "$autoname", "select_from_list_name", "$xpath"):
                continue
            names = (
                [f"{key}::{t}" if t else key for t in translations] if key in _TRANSLATED else [key]
            )
            columns += [n for n in names if n not in columns]
    return columns


def _cells(row: dict, columns: list[str], translations: list[str | None]) -> list[Any]:
    values: dict[str, Any] = {}
    for key, value in row.items():
        if key in _TRANSLATED and isinstance(value, list):
            for language, text in zip(translations, value, strict=False):
                values[f"{key}::{language}" if language else key] = text
        elif key == "type":
            kind = _TYPES.get(value, value)
            if row.get("select_from_list_name"):
                kind = f"{kind} {row['select_from_list_name']}"
            values["type"] = kind
        elif isinstance(value, bool):
            values[key] = "yes" if value else "no"
        else:
            values[key] = value
    return [values.get(column) for column in columns]


def xlsform_from_kobo_content(content: dict, *, form_id: str, version: str) -> bytes:
    translations = content.get("translations") or [None]
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    rows = content["survey"]
    columns = _columns(rows, translations)
    survey.append(columns)
    for row in rows:
        survey.append(_cells(row, columns, translations))
    choices = book.create_sheet("choices")
    choice_rows = content.get("choices", [])
    columns = _columns(choice_rows, translations) or ["list_name", "name", "label"]
    choices.append(columns)
    for row in choice_rows:
        choices.append(_cells(row, columns, translations))
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append([form_id, version])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
