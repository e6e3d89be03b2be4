"""OpenAPI schemas of the studio's answers (merged into handoff.openapi's); its request
bodies are documented from their models (handoff.studio.bodies)."""
from __future__ import annotations

from handoff.openapi_parts import BOOL, INT, NUM, STR, S, obj, ref

STRS = {"type": "array", "items": STR}
NSTR, NNUM = {**STR, "nullable": True}, {**NUM, "nullable": True}

ENTITY = obj({"entity": STR, "value": {**STR, "description": "as shown (masked)"}},
             ["entity", "value"])
SCHEMAS: S = {
    "DesignerTurn": obj({
        "id": INT, "role": {"type": "string", "enum": ["shopper", "bot"]}, "at": NUM,
        "text": {**STR, "description": "personal data masked"},
        "intent": NSTR, "confidence": NNUM, "entities": {"type": "array", "items": ENTITY},
        "emotion": NSTR, "actions": STRS,
        "correction": {"nullable": True, **obj({"intent": NSTR, "by": NSTR, "entities": {
            "type": "array", "items": ENTITY}, "actions": {**STRS, "nullable": True}})}},
        ["id", "role", "text"]),
    "DesignerConversation": obj({
        "id": STR, "channel": STR, "language": NSTR, "started_at": NUM, "last_at": NUM,
        "handed_off": BOOL, "fallback": BOOL, "csat": {**INT, "nullable": True},
        "flow_abandoned": BOOL, "intents": STRS, "tags": STRS,
        "turns": {"type": "array", "items": ref("DesignerTurn")}}, ["id", "turns"]),
    "DesignerConversations": obj({"conversations": {"type": "array",
                                                    "items": ref("DesignerConversation")}}),
    "DesignerTags": obj({"id": STR, "tags": STRS}, ["tags"]),
    "DesignerVocabulary": obj({"intents": STRS, "entities": STRS}),
    "DesignerChanges": obj({"written": BOOL, "changes": {"type": "array", "items": obj(
        {"path": STR, "diff": STR, "changed": BOOL})}}),
    "DesignerJob": obj({"id": STR, "status": {"type": "string", "enum": [
        "running", "ready", "failed", "accepted"]}, "started_by": STR, "created_at": NUM,
        "steps": {"type": "array", "items": obj({"name": STR, "status": STR, "seconds": NUM,
                                                 "output": STR})},
        "candidate": NSTR, "baseline": NSTR, "error": NSTR,
        "comparison": {"type": "object", "description": "nlu: {candidate, current}: accuracy "
                       "and n per language, confused pairs; stories: {candidate, current}: "
                       "total, passed, failed names", "additionalProperties": True}}),
}
