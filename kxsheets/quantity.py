"""Reading numbers the way townships write them: "1.7万", "300余篇", "5%以上", "≤104万元".

One grammar shared by validation (cell values) and scoring (target and actual text):

    [比较词] 数字 [万|亿] [%] [余|多] [单位] [以上|以下|以内|左右|…]

Text is NFKC-normalised first (full-width digits and signs become ASCII); digits that survive
NFKC but are not ASCII (Arabic-Indic ١٢ …) are refused rather than silently read, because
Python's float() would accept them. Returns None when the text is not a quantity (e.g. "良好以上"),
so a caller can treat it as qualitative.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

Bound = Literal["ge", "gt", "le", "lt", "eq"]

_PREFIX: dict[str, Bound] = {
    "≥": "ge", ">=": "ge", "不少于": "ge", "不低于": "ge", "至少": "ge", "达到": "ge", ">": "gt",
    "超过": "gt", "≤": "le", "<=": "le", "不超过": "le", "不高于": "le", "控制在": "le",
    "<": "lt", "不满": "lt", "低于": "lt", "=": "eq",
}
_SUFFIX: dict[str, Bound] = {"以上": "ge", "及以上": "ge", "以下": "le", "及以下": "le", "以内": "le"}
_APPROX = ("余", "多", "左右", "约", "大约", "近", "超")
_SCALE = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}

_RE = re.compile(
    r"""^(?P<prefix>≥|>=|≤|<=|>|<|=|不少于|不低于|至少|达到|超过|不超过|不高于|控制在|不满|低于|约|大约|近|超)?
        (?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)
        (?P<scale>万|亿)?
        (?P<pct>%)?
        (?P<approx>余|多)?
        (?P<unit>[^\d\s%]*?)
        (?P<suffix>及以上|及以下|以上|以下|以内|左右)?$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Quantity:
    value: Decimal  # fractions for percentages: "5%" -> 0.05
    unit: str  # "人次", "万元", "" …; "%" for percentages
    bound: Bound | None = None  # from 以上 / ≤ / 不超过 …; None for a bare number
    approx: bool = False  # 余 / 多 / 约 / 左右: the number is a floor or an estimate
    text: str = ""


class NotANumber(ValueError):
    """Text that looks numeric but must not be read (non-ASCII digits after NFKC)."""


def normalize(text: str) -> str:
    """NFKC, drop spaces and thousands separators' look-alikes, unify signs."""
    t = unicodedata.normalize("NFKC", text).strip()
    t = t.replace("～", "~").replace("﹪", "%").replace("％", "%")
    return re.sub(r"\s+", "", t)


def parse_quantity(text: str) -> Quantity | None:
    """Parse ``text`` as a quantity; None when it is not one (qualitative text)."""
    t = normalize(text)
    if any(ch.isdigit() and not ch.isascii() for ch in t):
        raise NotANumber(f"“{text}”含有非阿拉伯数字字符，请改为 0-9")
    m = _RE.match(t)
    if not m:
        return None
    try:
        value = Decimal(m["num"].replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only admits valid numbers
        return None
    if m["scale"]:
        value *= _SCALE[m["scale"]]
    unit = m["unit"] or ""
    if m["pct"]:
        value /= 100
        unit = "%" + unit
    elif m["scale"] and unit in ("元",):
        unit = f"{m['scale']}元"  # "1.7万元": keep the unit the author meant
        value /= _SCALE[m["scale"]]
    prefix, suffix = m["prefix"], m["suffix"]
    approx = bool(m["approx"]) or prefix in _APPROX or suffix == "左右"
    bound = _PREFIX.get(prefix or "") or _SUFFIX.get(suffix or "")
    return Quantity(value=value, unit=unit, bound=bound, approx=approx, text=text)
