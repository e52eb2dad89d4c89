"""The checks: every rule of ``shared/POLICY.md`` as set-based SQL over the warehouse.

One module per concern (identity, cohort, employment, business, enrolment,
class, payout); each rule is a small SQL builder whose docstring cites its
clause. :mod:`checks.runner` decides, from the policy files, which rules apply
to which class and how severe they are there (``_class_rules``), runs the
builders through one adapter that names the failing step, and writes stable
findings. Implemented so far: the identity rules.
"""
