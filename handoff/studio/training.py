"""From reviewed turns to file changes: NLU examples, stories, test stories (placeholders only)."""
from __future__ import annotations

from typing import List, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.conversations import masking
from handoff.conversations.sessions import FALLBACK_INTENT
from handoff.conversations.tables import StudioTurn
from handoff.studio.bodies import DesignerChange
from handoff.studio.writer import Change, Project, WriteError


def _spans(turn: StudioTurn) -> Tuple[str, List[Tuple[int, int, str]]]:
    """The turn's safe text and its entity spans (the correction's, else the prediction's)."""
    pieces = masking.from_lists(turn.pieces)
    text = masking.safe_text(pieces)
    marked = turn.corrected_entities if turn.corrected_entities is not None else turn.entities
    spans = []
    for ent in marked or []:
        # regexes find order ids and phones at run time: only marked entities are written
        span = masking.to_safe_span(pieces, str(ent.get("value") or ""))
        if span is None:
            raise WriteError(f"'{ent.get('value')}' is not in the message "
                             f"'{masking.masked_text(pieces)}'")
        spans.append((span[0], span[1], str(ent.get("entity"))))
    return text, spans


def _intent(turn: StudioTurn) -> str:
    return turn.corrected_intent or turn.intent or ""


def stage(db: Session, project: Project, change: DesignerChange) -> List[Change]:
    """Stage the requested change in `project` (nothing written); returns the diffs."""
    if change.kind == "nlu":
        ids = change.turn_ids or []
        turns = db.execute(select(StudioTurn).where(StudioTurn.id.in_(ids),
                                                    StudioTurn.role == "shopper")).scalars().all()
        if len(turns) != len(set(ids)):
            raise WriteError("some turns do not exist or are not the shopper's")
        for turn in sorted(turns, key=lambda t: t.id):
            text, spans = _spans(turn)
            project.stage(project.add_example(_intent(turn), text, spans))
        return project.pending()
    conversation = change.conversation_id or ""
    turns = db.execute(select(StudioTurn).where(StudioTurn.conversation_id == conversation,
                                                StudioTurn.role == "shopper")
                       .order_by(StudioTurn.at, StudioTurn.id)).scalars().all()
    if not turns:
        raise WriteError("no such conversation, or the shopper never wrote")
    if change.turn_ids:
        turns = [t for t in turns if t.id in set(change.turn_ids)]
    steps = []
    for turn in turns:
        if _intent(turn) in ("", FALLBACK_INTENT):
            raise WriteError(f"turn {turn.id} has no intent: correct it first")
        text, spans = _spans(turn)
        steps.append({"intent": _intent(turn), "text": text, "entities": spans,
                      "actions": list(turn.corrected_actions if turn.corrected_actions is not None
                                      else turn.actions or [])})
    project.stage(project.add_story(change.name, steps, test=change.kind == "test"))
    return project.pending()
