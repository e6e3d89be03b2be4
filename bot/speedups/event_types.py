"""An event's class found by its type name once per name, not by walking every subclass.

Rasa 3.6's `Event.resolve_by_type` lists every (recursively found) subclass of `Event`, and checks
each for being abstract, for every event it deserialises: each event the tracker store reads or
caches, each event an action returns. The classes of the known type names do not change once
Rasa's event modules are imported, so the class Rasa's walk finds for a name is kept and handed
out again. What the walk does not find (an unknown name: Rasa's default, None for the old
"topic", or its ValueError) is asked of Rasa's method every time, as before.
"""
from __future__ import annotations

from typing import Dict, Optional, Text, Type

from rasa.shared.core.events import Event

from bot.speedups.patching import Patches

_RASA_RESOLVE = Event.resolve_by_type
_found: Dict[Text, Type[Event]] = {}


def resolve_by_type(type_name: Text,
                    default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    cls = _found.get(type_name)
    if cls is not None:
        return cls
    cls = _RASA_RESOLVE(type_name, default)
    if cls is not None and cls is not default and cls.type_name == type_name:
        _found[type_name] = cls
    return cls


# event classes by type name, found once
PATCHES = Patches((Event, "resolve_by_type", staticmethod(resolve_by_type)),
                  after_uninstall=_found.clear)
install, uninstall = PATCHES.install, PATCHES.uninstall
