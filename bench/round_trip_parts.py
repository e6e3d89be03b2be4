"""CPU per message of the two round-trip steps the profile found dominant, Rasa's way and ours.

  .venv/bin/python bench/round_trip_parts.py [--turns 20] [--repeat 30]

- saving the tracker after a message: Rasa's `SQLTrackerStore.save` (re-reads and replays the
  whole session to find the new events) vs `bot.tracker_store.FrontlineSQLTrackerStore.save`,
  on real PostgreSQL (a throwaway schema in TEST_PG_URL's database), a conversation of --turns
  turns so far, one new turn saved per call;
- reading the tracker at the start of a message: Rasa's `SQLTrackerStore.retrieve` (every event
  of the session read, decoded and replayed) vs ours after its own save (the cached tracker,
  checked against the rows' mark) and ours cold (another replica wrote last: the session read);
- validating one action-server response (what validate_order_form returns at a form step):
  `jsonschema.validate` as Rasa calls it vs the validator built once (bot.speedups.action_validation).

CPU time of this process (time.process_time), so other load on the machine counts less than it
would in wall time; the database's own CPU is not included (it is the same for both).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.core.brokers.broker import EventBroker  # noqa: E402
from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bot.speedups import action_validation  # noqa: E402
from bot.tracker_store import FrontlineSQLTrackerStore  # noqa: E402
from tests.integration.test_tracker_store_pg import DOMAIN, PG_URL  # noqa: E402

FORM_STEP_RESPONSE: Dict[str, Any] = {
    "events": [{"event": "slot", "timestamp": None, "name": "order_id", "value": "E202611180042"},
               {"event": "slot", "timestamp": None, "name": "verified_orders", "value": ["E202611180042"]},
               {"event": "slot", "timestamp": None, "name": "form_misses", "value": None},
               {"event": "slot", "timestamp": None, "name": "requested_slot", "value": "phone_last4"}],
    "responses": [{"text": "请告诉我下单手机号的后四位", "buttons": [], "elements": [], "custom": {},
                   "template": None, "response": None, "image": None, "attachment": None}],
}


class Discard(EventBroker):
    def publish(self, event: Dict[str, Any]) -> None:
        pass


def turn(n: int) -> List[Any]:
    t = 10.0 + n
    return [UserUttered(f"message {n}", {"name": "order_status", "confidence": 0.9}, timestamp=t),
            ActionExecuted("action_order_status", timestamp=t + 0.1),
            SlotSet("order_id", f"E20261118{n:04d}", timestamp=t + 0.2),
            BotUttered("请告诉我订单号", {"buttons": []}, timestamp=t + 0.3),
            ActionExecuted("action_listen", timestamp=t + 0.4)]


def cpu_ms(run: Callable[[], Any], repeat: int) -> float:
    started = time.process_time()
    for _ in range(repeat):
        run()
    return 1000 * (time.process_time() - started) / repeat


def pg_store(cls: type, schema: str) -> Any:
    return cls(domain=DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, db="test",
               username="postgres", event_broker=Discard(), query={"options": f"-csearch_path={schema}"})


async def stored_conversation(store: Any, turns: int) -> DialogueStateTracker:
    """A conversation of `turns` turns, saved: what a message finds when it arrives."""
    tracker = DialogueStateTracker(f"bench:{uuid.uuid4().hex}", DOMAIN.slots)
    for event in [SessionStarted(timestamp=1.0), ActionExecuted("action_session_start", timestamp=1.1),
                  ActionExecuted("action_listen", timestamp=1.2)] + [e for n in range(turns) for e in turn(n)]:
        tracker.update(event)
    await store.save(tracker)
    return tracker


async def save_cost(cls: type, schema: str, turns: int, repeat: int) -> float:
    store = pg_store(cls, schema)
    tracker = await stored_conversation(store, turns)
    spent = 0.0
    for n in range(turns, turns + repeat):
        for event in turn(n):
            tracker.update(event)
        started = time.process_time()
        await store.save(tracker)
        spent += time.process_time() - started
    return 1000 * spent / repeat


async def retrieve_cost(cls: type, schema: str, turns: int, repeat: int, cold: bool = False) -> float:
    """CPU per retrieve at the start of a message, one new turn stored between two messages."""
    store = pg_store(cls, schema)
    sender = (await stored_conversation(store, turns)).sender_id
    spent = 0.0
    for n in range(turns, turns + repeat):
        if cold:
            store = pg_store(cls, schema)  # nothing cached: what a replica that did not write last does
        started = time.process_time()
        tracker = await store.retrieve(sender)
        spent += time.process_time() - started
        for event in turn(n):
            tracker.update(event)
        await store.save(tracker)
        if cold:
            store.engine.dispose()
    return 1000 * spent / repeat


async def main_async(turns: int, repeat: int) -> None:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        rasa_ms = await save_cost(SQLTrackerStore, schema, turns, repeat)
        ours_ms = await save_cost(FrontlineSQLTrackerStore, schema, turns, repeat)
        rasa_again = await save_cost(SQLTrackerStore, schema, turns, repeat)
        read_rasa = await retrieve_cost(SQLTrackerStore, schema, turns, repeat)
        read_ours = await retrieve_cost(FrontlineSQLTrackerStore, schema, turns, repeat)
        read_cold = await retrieve_cost(FrontlineSQLTrackerStore, schema, turns, max(3, repeat // 5), cold=True)
        read_rasa_again = await retrieve_cost(SQLTrackerStore, schema, turns, repeat)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    print(f"tracker save, {turns} turns so far (CPU ms per save): Rasa {rasa_ms:.1f} / "
          f"ours {ours_ms:.1f} / Rasa again {rasa_again:.1f}")
    print(f"tracker retrieve, {turns} turns so far (CPU ms per retrieve): Rasa {read_rasa:.1f} / "
          f"ours, after its own save {read_ours:.2f} / ours, cold (another replica wrote) {read_cold:.1f} / "
          f"Rasa again {read_rasa_again:.1f}")

    action = RemoteAction.__new__(RemoteAction)
    action_validation.uninstall()
    rasa_v = cpu_ms(lambda: action._validate_action_result(FORM_STEP_RESPONSE), repeat * 3)
    action_validation.install()
    ours_v = cpu_ms(lambda: action._validate_action_result(FORM_STEP_RESPONSE), repeat * 3)
    print(f"action response validation (CPU ms per response): Rasa {rasa_v:.2f} / ours {ours_v:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=20, help="turns in the conversation before measuring")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main_async(args.turns, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
