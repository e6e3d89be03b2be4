"""The designer studio: review real conversations, correct turns, turn them into training
data, stories and test stories (plain YAML files), train a candidate model, compare, accept.

- readmodel: Frontline's own record of conversations, fed by the bot's event stream
- masking: personal data masked for review and replaced by placeholders for training data
- writer: round-trip YAML edits of data/nlu, data/stories and tests/test_stories.yml
- jobs: validate / train / evaluate in subprocesses; accept switches Rasa's model
- api, pages: the HTTP API (designers and supervisors) and the console page
"""
