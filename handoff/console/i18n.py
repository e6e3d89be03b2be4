"""The console's language: which one a request gets, and its strings and labels.

The words are the `console.*` texts and the label groups of the service's catalogue
(handoff/locale/<lang>/LC_MESSAGES/handoff.po).
"""
from __future__ import annotations

from typing import Dict, Optional

from common.ticket import QUEUES
from handoff.texts import TEXTS

LANGS = ("zh", "en")


def pick_language(session_lang: Optional[str], query_lang: Optional[str],
                  accept_language: str) -> str:
    """Explicit choice first, then the browser's Accept-Language order, then Chinese."""
    for choice in (query_lang, session_lang):
        if choice in LANGS:
            return choice  # type: ignore[return-value]
    ranked = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, index, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


class Translator:
    """`t("key", **values)` in templates; labels of codes via `label(table, code)`."""

    # table name used by templates and page scripts -> catalogue group
    TABLES = {"intent": "intent", "trigger": "trigger", "emotion": "emotion",
              "order_status": "order_status", "risk": "risk", "channel": "channel",
              "queue": "queue", "status": "ticket_status", "lang": "lang"}

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.gettext = TEXTS.gettext(lang)
        self.ngettext = TEXTS.ngettext(lang)

    def __call__(self, key: str, **values: object) -> str:
        name = f"console.{key}"
        return TEXTS.text(name, self.lang, **values) if TEXTS.has(name) else key

    def label(self, table: str, code: object) -> str:
        if code is None or code == "":
            return ""
        group = self.TABLES[table]
        if TEXTS.has(f"{group}.{code}"):
            return TEXTS.label(group, code, self.lang)
        faq = str(code)[4:] if table == "intent" and str(code).startswith("faq/") else ""
        if faq and TEXTS.has(f"faq.{faq}"):  # FAQ intents share the canned replies' titles
            return self("faq_intent", title=TEXTS.label("faq", faq, self.lang))
        if table == "intent" and code == "csat_score":
            return self("csat_score")
        return str(code)

    def bundle(self) -> Dict[str, object]:
        """Everything the page scripts need to render rows in this language."""
        return {"lang": self.lang,
                "strings": TEXTS.group("console", self.lang),
                "labels": {name: TEXTS.group(group, self.lang)
                           for name, group in self.TABLES.items()},
                "queues": list(QUEUES)}
