"""What the emotion component writes into parse_data and the ticket carries: labels, results and
the conversation-level summary (the analyzer itself stays in bot.emotion)."""
