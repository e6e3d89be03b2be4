"""`Domain.is_empty()` without building an empty Domain on every parse.

Rasa 3.6 checks every parse result against the domain (`MessageProcessor.
_check_for_unseen_features`), which first asks `domain.is_empty()`: `self.as_dict() ==
Domain.empty().as_dict()`. `Domain.empty()` builds a whole Domain from `{}` (default
intents, actions, slots, session config) — about a millisecond per message — to get a dict
that is the same every time. Here that dict is built once, kept private (a deep copy, so no
caller can change it) and compared with the domain's current `as_dict()` on each call: the
same comparison, so the answer stays right even if a domain's data were changed later.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Dict

from rasa.shared.core.domain import Domain

from bot.speedups.patching import Patches


@lru_cache(maxsize=1)
def empty_domain_dict() -> Dict[str, Any]:
    return copy.deepcopy(Domain.empty().as_dict())


def is_empty(self: Domain) -> bool:
    """Check whether the domain is empty (as Rasa's, against a prebuilt empty domain)."""
    return self.as_dict() == empty_domain_dict()


PATCHES = Patches((Domain, "is_empty", is_empty))
install, uninstall = PATCHES.install, PATCHES.uninstall
