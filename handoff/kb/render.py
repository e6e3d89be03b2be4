"""Markdown of an article to safe HTML: raw HTML in the source is shown as text and links
are kept only when they go to http(s) or stay on this site."""
from __future__ import annotations

import html
from typing import Any, Dict
from xml.etree.ElementTree import Element

import markdown
from markdown.treeprocessors import Treeprocessor

_SAFE_PREFIXES = ("http://", "https://", "/", "#")


class _SafeLinks(Treeprocessor):
    def run(self, root: Element) -> None:
        for el in root.iter():
            for attr in ("href", "src"):
                value = (el.get(attr) or "").strip()
                if value and not value.lower().startswith(_SAFE_PREFIXES):
                    el.set(attr, "#")


def to_html(source: str) -> str:
    md = markdown.Markdown(extensions=["tables", "sane_lists"])
    # Raw HTML in an article is text, never markup: an editor's slip cannot inject script.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_SafeLinks(md), "safe_links", 0)
    return md.convert(source)


def article_page(view: Dict[str, Any]) -> str:
    title = html.escape(view["title"])
    tags = " ".join(f"<span class=tag>{html.escape(t)}</span>" for t in view["tags"])
    return (f"<!doctype html><html lang={html.escape(view['language'])}><head>"
            f"<meta charset=utf-8><meta name=viewport content='width=device-width'>"
            f"<title>{title}</title><style>body{{font-family:sans-serif;max-width:42em;"
            f"margin:1em auto;padding:0 1em;line-height:1.6}}.tag{{background:#eef;"
            f"border-radius:3px;padding:0 .4em;margin-right:.3em;font-size:.85em}}</style>"
            f"</head><body><article><h1>{title}</h1><p>{tags}</p>{to_html(view['body'])}"
            f"</article></body></html>")
