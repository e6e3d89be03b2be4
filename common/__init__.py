"""Code shared by the bot, the action server and the handoff service: what crosses process boundaries."""
