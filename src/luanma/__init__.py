"""luanma (乱码): find and repair CJK mojibake.

>>> import luanma
>>> luanma.corrupt("由月要好", "utf-8 -> gbk").text
'鐢辨湀瑕佸ソ'
>>> luanma.Plan.parse("utf-8 -> gbk").undo("鐢辨湀瑕佸ソ")
'由月要好'
>>> luanma.repair("## 涓轰粈涔堥渶瑕?Sego")
'## 为什么需要 Sego'
"""

from __future__ import annotations

from .errors import (
    LossyTextError,
    LuanmaError,
    PlanSyntaxError,
    UndecodableBytesError,
    UnknownVariantError,
    UnrepresentableError,
)
from .layers import Corruption, Layer, LayerLoss, Plan, corrupt
from .bytes_io import BytesRepair, repair_bytes
from .batch import repair_many
from .repair import Diagnosis, RepairPlan, SpanFix, diagnose, repair, repair_and_explain
from .related import repair_related
from .residue import Residue, find_residue
from .variants import Loss, decode, get_variant, reencode

__version__ = "0.1.0"

__all__ = [
    "BytesRepair",
    "repair_bytes",
    "repair_many",
    "repair_related",
    "Diagnosis",
    "RepairPlan",
    "SpanFix",
    "diagnose",
    "repair",
    "repair_and_explain",
    "Residue",
    "find_residue",
    "Corruption",
    "Layer",
    "LayerLoss",
    "Loss",
    "LossyTextError",
    "LuanmaError",
    "Plan",
    "PlanSyntaxError",
    "UndecodableBytesError",
    "UnknownVariantError",
    "UnrepresentableError",
    "corrupt",
    "decode",
    "get_variant",
    "reencode",
]
