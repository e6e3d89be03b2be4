"""Frontline's action server: every module in this package is loaded by `python -m actions.server`."""
