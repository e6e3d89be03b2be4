"""Event classes by type name: what Rasa's walk over every subclass finds, found once."""
import pytest
import rasa.shared.utils.common as rasa_common
from rasa.shared.core.events import ActionExecuted, Event, UserUttered, deserialise_events

from bot.speedups import event_types


@pytest.fixture
def installed():
    event_types.install()
    yield
    event_types.uninstall()


def test_every_known_type_name_gives_the_class_rasa_finds(installed):
    names = {cls.type_name for cls in rasa_common.all_subclasses(Event)}
    assert {"user", "action", "slot", "session_started"} <= names
    for name in names:
        assert Event.resolve_by_type(name) is event_types._RASA_RESOLVE(name)


def test_a_found_name_does_not_walk_the_subclasses_again(installed, monkeypatch):
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted

    def walk(_cls):
        raise AssertionError("walked every subclass again")
    monkeypatch.setattr(rasa_common, "all_subclasses", walk)
    assert Event.resolve_by_type("user") is UserUttered
    events = deserialise_events([{"event": "action", "name": "action_listen", "timestamp": 1.0}])
    assert isinstance(events[0], ActionExecuted)


def test_unknown_names_answer_as_rasa_does(installed):
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert "no_such_event" not in event_types._found  # a default is not remembered for the name


def test_uninstall_puts_rasas_method_back_and_forgets(installed):
    Event.resolve_by_type("slot")
    event_types.uninstall()
    assert event_types._found == {}
    assert Event.resolve_by_type("slot").__name__ == "SlotSet"
    assert Event.__dict__["resolve_by_type"].__func__ is event_types._RASA_RESOLVE
    event_types.install()
