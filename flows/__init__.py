"""Prefect flows: thin wiring of the connectors, checks and reports — no SQL, no
HTTP, no thresholds here. Tasks that cross a network retry; nothing else does.

* ``nightly``  — pull every registry's deltas (one task per source), re-check the
  classes still open to a decision, record only new findings, publish, and write
  the run summary (02:00 Asia/Shanghai).
* ``opening_check`` — one class's opening review, recorded in the warehouse.
* ``payout_batch`` — a batch through the payout review, the 补贴核算表 and the 公示.
* ``monthly_report`` — the month's provincial report (on the 1st, for the month before).
"""
