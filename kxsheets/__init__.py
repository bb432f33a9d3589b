"""kxsheets — 科协年度填报与绩效自评的 Excel 工具箱.

The library never prints or exits; ``kxsheets.cli`` is a thin layer over it. Heavy modules
(pandas, openpyxl, xlsxwriter) are imported only where used so the CLI starts fast.
"""

__version__ = "0.1.0"
