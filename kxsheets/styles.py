"""Cell formats and page setup shared by the output workbooks (xlsxwriter)."""

from __future__ import annotations

import datetime as dt
from typing import Any

FONT = "宋体"
TITLE_FONT = "黑体"
HEAD_FILL = "#DDEBF7"
TOTAL_FILL = "#F2F2F2"
ERROR_FILL = "#F8CBAD"
WARNING_FILL = "#FFE699"

# Township text is never a formula, link or number in disguise.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def document_date(times: list[float]) -> dt.datetime:
    """The workbook's creation date from its inputs (the newest one), so a rerun writes the same bytes."""
    return dt.datetime.fromtimestamp(max(times), dt.timezone.utc) if times else dt.datetime(2000, 1, 1)


class Styles:
    """Formats made once per workbook and reused: xlsxwriter keeps one record per distinct format."""

    def __init__(self, wb: Any) -> None:
        self.wb = wb
        self._cache: dict[tuple, Any] = {}

    def get(self, kind: str = "body", num: str | None = None, **extra: Any) -> Any:
        key = (kind, num, tuple(sorted(extra.items())))
        if key not in self._cache:
            base: dict[str, Any] = {"font_name": FONT, "font_size": 10, "valign": "vcenter", "border": 1}
            base.update({
                "body": {},
                "text": {"text_wrap": True},
                "head": {"bold": True, "bg_color": HEAD_FILL, "align": "center", "text_wrap": True},
                "total": {"bold": True, "bg_color": TOTAL_FILL},
                "title": {"font_name": TITLE_FONT, "font_size": 16, "align": "center", "border": 0},
                "note": {"font_size": 9, "border": 0, "italic": True},
            }[kind])
            if num:
                base["num_format"] = num
            base.update(extra)
            self._cache[key] = self.wb.add_format(base)
        return self._cache[key]


def print_setup(ws: Any, header_rows: tuple[int, int], landscape: bool = True) -> None:
    """A4, one page wide, header rows repeated on every page, page numbers in the footer."""
    ws.set_paper(9)
    if landscape:
        ws.set_landscape()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(*header_rows)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页，共 &N 页")
