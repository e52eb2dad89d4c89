"""Rule cases written from POLICY.md: the facts of a class and its trainees, and
what the checks must find — run against the checks on a tiny warehouse.

The cases themselves live in ``tests/cases/*.yaml`` (see ``tests/cases/README.md``);
``crosscheck cases`` runs them from the command line.
"""
