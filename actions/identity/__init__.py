"""Who is asking: channel identities, order possession checks and their attempt limits."""
