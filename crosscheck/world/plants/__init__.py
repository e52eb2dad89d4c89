"""The planted cases: each changes a clean trainee or class in exactly one way and
declares the findings that change must cause (or, for a hard negative, that it
must cause none). ``data/README.md`` explains the reading of each rule they
encode; ``truth/cases`` lists every plant in a world.
"""

from crosscheck.world.plants.base import Context, Plant
from crosscheck.world.plants.classes import CLASS_NEGATIVES, CLASS_PLANTS
from crosscheck.world.plants.trainee import NEEDS_STUDENT, NEGATIVES, TRAINEE_PLANTS, fits

__all__ = [
    "CLASS_NEGATIVES",
    "CLASS_PLANTS",
    "NEEDS_STUDENT",
    "NEGATIVES",
    "TRAINEE_PLANTS",
    "Context",
    "Plant",
    "fits",
]
