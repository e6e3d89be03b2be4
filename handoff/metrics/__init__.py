"""The service metrics (docs/metrics.md): first-contact resolution, bot containment, transfer
rate, first response, handling time, CSAT bot vs human, NPS and CES, with breakdowns.

`history` holds the facts (contacts, tickets, surveys), `compute` turns a history into
figures and is pure (unit-tested on constructed histories), `sources` reads the facts from
the service's tables and Rasa's tracker store, `api` serves JSON and CSV.
"""
