"""Request classifier: what kind of help, how urgent, when, where, which skills."""

from core.classifier.model import (
    Alternative,
    Classification,
    ClassifierProfile,
    Place,
    TimeWindow,
)
from core.classifier.pipeline import classify, warm_up
from core.classifier.places import AreaIndex

__all__ = [
    "Alternative",
    "AreaIndex",
    "Classification",
    "ClassifierProfile",
    "Place",
    "TimeWindow",
    "classify",
    "warm_up",
]
