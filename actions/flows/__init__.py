"""Guided troubleshooting flows: YAML files in data/flows/, validated, run by an engine.

The rasa-sdk action server imports every module under actions/, which registers the
flow actions in rasa_actions.py.
"""
