"""The training data a designer edits validates clean (what `make validate` checks)."""
from scripts.validate_data import problems


def test_domain_nlu_and_stories_validate_without_problems():
    assert problems() == []
