"""Custom Rasa graph components used in config.yml."""
from bot import speedups

# a model of ours loads these modules before its first parse: the per-message cuts go in with it
speedups.install()
