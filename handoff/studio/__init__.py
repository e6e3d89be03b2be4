"""The designer studio: review real conversations, correct turns, turn them into training
data, stories and test stories (plain YAML files), train a candidate model, compare, accept.

Conversations come from the read model every reader shares (handoff.conversations: fed by the
bot's event stream; masking of personal data lives there too).

- writer: round-trip YAML edits of data/nlu, data/stories and tests/test_stories.yml
- jobs: validate / train / evaluate in subprocesses; accept switches Rasa's model
- api, pages: the HTTP API (designers and supervisors) and the console page
"""
