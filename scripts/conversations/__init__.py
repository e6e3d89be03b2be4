"""Multi-turn conversation tests played against a running Frontline stack.

`spec` reads the YAML set in tests/conversations/, `orders` gives each conversation its own
demo-shop orders, `replies` names what the bot said, `play` talks to Rasa and judges each
turn, `report` sums the results up per category and language.
"""
