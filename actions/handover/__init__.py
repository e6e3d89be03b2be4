"""The warm transfer from the action server's side: build the ticket, deliver it, tell the shopper.

Not named `actions.handoff`: rasa-sdk walks this package with pkgutil, which resolves a
subpackage by its bare name and would walk the top-level `handoff` service package instead.
"""
