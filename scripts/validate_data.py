"""`rasa data validate`, strict: every warning fails, except two that Rasa 3.6 raises for correct data.

- "duplicated intents ... faq": Rasa's importer merges the retrieval intents of the NLU data into
  the domain, which already lists `faq` as its docs require.
- "utterance X is not used in any story or rule": allowed only when a custom action in actions/
  names that response (Rasa cannot see into the action server); anything else still fails.
- "intent X ... not found in the NLU training data" for intents no shopper types: those a
  graph component sets, like Rasa's own nlu_fallback, and payloads channels send.

Evaluation text must not be training text: any held-out sentence or test-story user text tied to a
data/nlu example by a rule of scripts.nlu_similarity (equal, reordered, one word away, inside or
holding one...) fails, naming the rule and both places.
"""
from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import List

from scripts.nlu_overlap import project_overlaps

ROOT = Path(__file__).resolve().parent.parent
DATA = [str(ROOT / "data" / "nlu"), str(ROOT / "data" / "stories")]
# set by a graph component (bot.emotion.escalation), like Rasa's own nlu_fallback, or sent by a
# channel as a payload (send_image: a WeChat or app picture)
SYNTHETIC_INTENTS = {"emotion_escalation", "send_image"}


def responses_used_by_actions() -> set:
    used = set()
    for path in (ROOT / "actions").rglob("*.py"):
        used.update(re.findall(r"[\"'](utter_[a-z0-9_/]+)[\"']", path.read_text(encoding="utf-8")))
    return used


def problems() -> List[str]:
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.validator import Validator

    importer = TrainingDataImporter.load_from_dict(
        domain_path=str(ROOT / "domain.yml"), training_data_paths=DATA
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator = Validator.from_importer(importer)
        ok = all([
            validator.verify_intents_in_stories(False),
            validator.verify_example_repetition_in_intents(False),
            validator.verify_utterances_in_stories(False),
            validator.verify_story_structure(False, max_history=None),
            validator.verify_forms_in_stories_rules(),
            validator.verify_actions_in_stories_rules(),
            validator.verify_form_slots(),
            validator.verify_slot_mappings(),
        ])
    used = responses_used_by_actions()
    found = []
    for warning in caught:
        text = str(warning.message).strip()
        if "duplicated intents have been found" in text and text.rstrip().endswith(": faq"):
            continue
        match = re.match(r"The intent '([^']+)' is listed in the domain file, but is not found in the NLU", text)
        if match and match.group(1) in SYNTHETIC_INTENTS:
            continue
        match = re.match(r"The utterance '([^']+)' is not used in any story or rule", text)
        if match and match.group(1) in used:
            continue
        if issubclass(warning.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        if "Slot auto-fill has been removed" in text:
            continue
        found.append(text.splitlines()[0] if "\n" not in text[:200] else text)
    if not ok and not found:
        found.append("the validator reported a problem (see its log above)")
    found += [f"evaluation text seen in training: {overlap}" for overlap in project_overlaps()]
    return found


def main() -> int:
    found = problems()
    for text in found:
        print(f"VALIDATION: {text}")
    print("data validation: " + ("clean" if not found else f"{len(found)} problem(s)"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
