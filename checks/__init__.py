"""The checks: every rule of ``shared/POLICY.md`` as set-based SQL over the warehouse.

One module per concern (identity, cohort, employment, business, enrolment,
class, payout); each rule is a small SQL builder whose docstring cites its
clause. :mod:`checks.runner` decides, from the policy files, which rules apply
to which class and how severe they are there (``_class_rules``), runs the
builders through one adapter that names the failing step, and writes stable
findings. :mod:`checks.accounting` fills the 补贴核算表 from them,
:mod:`checks.review` turns one class's findings into a verdict for a person, and
:mod:`checks.draft` checks a class that is not on file yet (read-only overlay).
"""
