"""The shop connector: one contract between Frontline and any shop backend, both ways.

Out: `outbox` (a table each process keeps in its own database, written in the same transaction
as the local change, and the sender that delivers it with `client`). In: signed webhooks and a
periodic sync, checked with `signing`. docs/shop-connector.md describes the contract.
"""
