"""Policies as data: one YAML file per notice, strictly loaded.

from crosscheck.policy import load_all, get, in_force
fushun = get("fushun-2023")
fushun.class_rules.max_trainees.value   # 50, source "001 §5(二)"
"""

from crosscheck.policy.loader import bundled, get, in_force, load_all, load_file
from crosscheck.policy.model import Param, Policy

__all__ = ["Param", "Policy", "bundled", "get", "in_force", "load_all", "load_file"]
