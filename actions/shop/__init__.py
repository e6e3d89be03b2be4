"""The action server's side of the shop connector (common.shop): queueing the bot's changes
with their local effect, telling the shopper the shop's answer, and taking the shop's events."""
