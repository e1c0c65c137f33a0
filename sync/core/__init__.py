"""The contract desk and server both run: records, wire formats, ids, the clock, mutation
appliers, ledger math, permissions, receipt data. Nothing here imports the desk's data layer
(sync/ outside core/), Qt, or the server (tests/boundaries/test_named_core.py)."""
