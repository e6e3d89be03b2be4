"""Jinja2 rendering of the ticket summary and the agent's suggested first sentence.

Templates are plain text (`*.j2`, no autoescape: they are data, escaped wherever they are
shown); HTML templates (`*.html.j2`, the console's) are autoescaped.
"""
from __future__ import annotations

from functools import lru_cache
import re

from jinja2 import Environment, FileSystemLoader, select_autoescape

from common.ticket import Ticket
from handoff.config import PACKAGE_DIR
from handoff.texts import TEXTS

def _label(group: str, lang: str):
    """Codes in summaries are named by the catalogue's label groups (handoff/locale/)."""
    return lambda value: TEXTS.label(group, value, lang)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(PACKAGE_DIR / "templates")),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "html.j2"),
                                     default_for_string=False, default=False),
        trim_blocks=False, lstrip_blocks=True, keep_trailing_newline=False)
    return env


def _render(ticket: Ticket, lang: str, macro: str) -> str:
    module = environment().get_template(f"summary_{lang}.j2").make_module({
        "intent_label": _label("intent", lang), "trigger_label": _label("trigger", lang),
        "emotion_label": _label("emotion", lang), "status_label": _label("order_status", lang),
        "risk_label": _label("risk", lang),
        "channel_label": _label("channel", lang)})
    text = str(getattr(module, macro)(ticket))
    # Templates break lines for readability; Chinese joins them, English needs a space.
    text = re.sub(r"\s*\n\s*", "" if lang == "zh" else " ", text.strip())
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r" ([;,.])", r"\1", text)


def render_summary(ticket: Ticket, lang: str) -> str:
    return _render(ticket, lang, "summary")


def render_first_sentence(ticket: Ticket, lang: str) -> str:
    return _render(ticket, lang, "first_sentence")


def fill(ticket: Ticket) -> Ticket:
    """Both languages of both texts: the console picks the agent's / shopper's language."""
    ticket.summary = {lang: render_summary(ticket, lang) for lang in ("zh", "en")}
    ticket.first_sentence = {lang: render_first_sentence(ticket, lang) for lang in ("zh", "en")}
    return ticket
