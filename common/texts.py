"""Bilingual text catalogues: every key has a Chinese and an English text, `str.format` style.

Each process family keeps its words in one file, read at start-up into a `Catalogue`:
the action server in `actions/texts.yml` (YAML, like domain.yml, which designers already
edit), the handoff service in gettext catalogues `handoff/locale/<lang>/LC_MESSAGES/handoff.po`
(the translators' standard format, also read by Jinja2's i18n extension). Keys are
`group.name` (`notice.sla_breach`, `intent.complain`) or plain names; labels of codes such
as order statuses are the group `status` with the code as name (`status.shipped`).
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple

import yaml
from babel.messages.pofile import read_po

LANGUAGES: Tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

Defaults = Callable[[str], Mapping[str, Any]]


def lang_of(language: Any) -> str:
    """English only when asked for; Chinese (the shop's language) for anything else."""
    return "en" if language == "en" else DEFAULT_LANGUAGE


class _Formatter(string.Formatter):
    """Looks `shop.returns.no_reason_days` up as one key instead of attribute access."""

    def get_field(self, field_name: str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if field_name in kwargs:
            return kwargs[field_name], field_name
        return super().get_field(field_name, args, kwargs)


_FMT = _Formatter()


def placeholders(text: str) -> frozenset:
    """The `{name}` fields of a text (what a caller or the policy file must supply)."""
    return frozenset(field for _, field, _, _ in _FMT.parse(text) if field)


@dataclass(frozen=True)
class Catalogue:
    """`texts[lang][key]`; `defaults(lang)` adds values every text may use (the shop policy)."""

    texts: Mapping[str, Mapping[str, str]]
    source: str = ""
    defaults: Optional[Defaults] = None

    @classmethod
    def from_yaml(cls, path: Path, defaults: Optional[Defaults] = None) -> "Catalogue":
        """A mapping `key: {zh: ..., en: ...}`."""
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a text catalogue is a mapping of keys to {{zh, en}}")
        texts: Dict[str, Dict[str, str]] = {lang: {} for lang in LANGUAGES}
        for key, entry in data.items():
            if not isinstance(entry, dict):
                raise ValueError(f"{path}: {key} must map each language to a text")
            for lang, value in entry.items():
                if lang not in texts:
                    raise ValueError(f"{path}: {key} has the unknown language {lang!r}")
                texts[lang][str(key)] = str(value)
        return cls(texts, str(path), defaults)

    @classmethod
    def from_po(cls, directory: Path, domain: str,
                defaults: Optional[Defaults] = None) -> "Catalogue":
        """`<directory>/<lang>/LC_MESSAGES/<domain>.po` per language; msgids are the keys."""
        texts: Dict[str, Dict[str, str]] = {}
        for lang in LANGUAGES:
            path = directory / lang / "LC_MESSAGES" / f"{domain}.po"
            with open(path, "rb") as handle:
                catalog = read_po(handle, locale=lang, domain=domain)
            texts[lang] = {str(m.id): str(m.string) for m in catalog
                           if m.id and m.string and not m.fuzzy}
        return cls(texts, str(directory / "*" / "LC_MESSAGES" / f"{domain}.po"), defaults)

    def keys(self, language: str = DEFAULT_LANGUAGE) -> Iterable[str]:
        return self.texts[lang_of(language)].keys()

    def has(self, key: str) -> bool:
        return all(key in self.texts[lang] for lang in LANGUAGES)

    def raw(self, key: str, language: Any) -> str:
        """The unformatted text; a missing key is a bug, so it raises KeyError."""
        return self.texts[lang_of(language)][key]

    def text(self, key: str, language: Any, **values: Any) -> str:
        lang = lang_of(language)
        template = self.texts[lang][key]
        if self.defaults is not None:
            values = {**self.defaults(lang), **values}
        return _FMT.vformat(template, (), values) if values else template

    def label(self, group: str, code: Any, language: Any) -> str:
        """The name of a code (`status`, `shipped`), or the code itself when it has none."""
        if code is None or code == "":
            return ""
        return self.texts[lang_of(language)].get(f"{group}.{code}", str(code))

    def group(self, group: str, language: Any) -> Dict[str, str]:
        """Every `group.<name>` text as {name: text}."""
        prefix = f"{group}."
        return {key[len(prefix):]: value for key, value in self.texts[lang_of(language)].items()
                if key.startswith(prefix)}

    def gettext(self, language: Any) -> Callable[[str], str]:
        """A gettext callable (unknown keys come back unchanged), for Jinja2's i18n extension."""
        table = self.texts[lang_of(language)]
        return lambda message: table.get(message, message)

    def ngettext(self, language: Any) -> Callable[[str, str, int], str]:
        get = self.gettext(language)
        return lambda singular, plural, n: get(singular if n == 1 else plural)
