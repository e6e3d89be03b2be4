"""The order conversation: routing (conversation), identification, and one module per topic."""
