"""Rasa methods replaced by ours, and Rasa's put back: what every speed-up module declares."""
from __future__ import annotations

from typing import Any, Callable, List, Tuple


class Patches:
    """`Patches((Owner, "method", ours), ...)`: `install()` sets ours, `uninstall()` Rasa's.

    Rasa's attribute is taken from the class's own dict when it is there, so a staticmethod
    or classmethod goes back as the descriptor it was, not as the function it wraps."""

    def __init__(self, *replacements: Tuple[type, str, Any],
                 after_uninstall: Callable[[], None] = lambda: None) -> None:
        self.replacements: List[Tuple[type, str, Any, Any]] = [
            (owner, name, owner.__dict__.get(name, getattr(owner, name)), ours)
            for owner, name, ours in replacements]
        self.after_uninstall = after_uninstall

    def install(self) -> None:
        """Idempotent: installing twice leaves Rasa's originals as they were taken."""
        for owner, name, _, ours in self.replacements:
            setattr(owner, name, ours)

    def uninstall(self) -> None:
        for owner, name, rasa, _ in self.replacements:
            setattr(owner, name, rasa)
        self.after_uninstall()
