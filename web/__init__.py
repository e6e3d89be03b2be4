"""The embeddable web chat widget (web/widget/), its demo shop page (web/demo/) and a small server."""
