"""Live assist for agents during a handoff: ranked suggested replies per shopper message
(knowledge base, FAQ answers, canned phrases, the shop's policies applied to the order), a
policy card for the order and the emotion of every shopper message."""
