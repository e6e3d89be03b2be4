"""Frontline's own read model of conversations, fed by the bot's event stream.

The handoff service consumes every tracker event the bot's event broker publishes
(bot.broker -> `<prefix>:events`) and records here what the studio, the console's dashboard
and the metrics read, so none of them reads Rasa's internal `events` table (its layout is
Rasa's, and a tracker store may not be SQL at all).

- tables: the rows (studio_conversations, studio_turns, conversation_sessions,
  conversation_events_seen)
- record: `wanted` / `ingest`, what the stream consumer calls for each event (idempotent)
- sessions: one Rasa session's facts folded event by event (a contact of the metrics)
- queries: what the dashboard and the metrics read
- masking: personal data masked for review and replaced by placeholders for training data
"""
