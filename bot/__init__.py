"""Frontline's Rasa-side code: graph components, channels, NLG, event broker, emotion."""
