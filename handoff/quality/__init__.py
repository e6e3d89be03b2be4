"""Quality inspection (智能质检): YAML rules over agent and bot messages, a score per
ticket, a sampled review queue with the supervisor's verdict."""
