"""The flow model both the Rasa server (the step-first policy) and the action server (the engine) read:
flow files in data/flows/, their schema, loader, validator and the text matching of options."""
