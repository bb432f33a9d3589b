"""Intake: which files in a folder are submissions, what their bytes really are, and whether
they are safe to hand to a parser.

The container is decided from the bytes, never the extension (zip / OLE / HTML / text). Before
any spreadsheet parser sees a zip, its central directory is checked (a 1 MB file that inflates
to 1 GB is rejected), and before any sheet is parsed its XML is checked (`scan_sheet`: one cell
at XFD1048576 makes calamine abort the whole process while allocating the range). A rejected
file becomes a finding instead of taking the run down. Sheets are scanned when first read, so
the 填表说明 and list sheets a check never needs cost nothing.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .findings import Finding, finding

MAX_FILE_BYTES = 20 * 1024 * 1024  # a mail attachment larger than this is not a township form
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 100  # inflated / compressed, over the whole package
MAX_SHEET_XML = 60 * 1024 * 1024
MAX_ROWS = 100_000
MAX_CELLS = 2_000_000  # bounding box of the cells that hold something

SKIP_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
Container = Literal["xlsx", "ole", "html", "text", "unknown"]

# The bounding box of a sheet is found without visiting every cell: only the cells that lie
# far down (row ≥ 100) or far right (column ≥ AA) are matched; every other cell is within A1:Z99.
# Empty self-closing cells (<c r="X9" s="1"/>, whole-column formatting) hold nothing and do not count.
_FAR_CELL = re.compile(rb'<c r="(?:([A-Z]{1,3})([0-9]{3,7})|([A-Z]{2,3})([0-9]{1,2}))"[^>]*?(?<!/)>')
NEAR_ROWS, NEAR_COLS = 99, 26
# A formula with no cached value, found from its <f> (rare) rather than from every <c>.
_NO_CACHE = re.compile(rb'<f(?=[ >/])[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3}[0-9]{1,7})"')


@dataclass
class Submission:
    path: Path
    data: bytes = field(repr=False)
    sha256: str
    received: float
    container: Container
    sheet_files: dict[str, str] = field(default_factory=dict)  # sheet name → xl/worksheets/…
    zip: zipfile.ZipFile | None = field(default=None, repr=False)


def is_candidate(path: Path) -> bool:
    """Folder scans skip Office lock files, our temp files, hidden files, zero-byte files, Thumbs.db."""
    name = path.name
    if name.startswith(("~$", ".")) or name.lower() in SKIP_NAMES:
        return False
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def scan(folder: Path) -> list[Path]:
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    return sorted((p for p in folder.rglob("*") if is_candidate(p) and
                   not any(part.startswith(".") for part in p.relative_to(folder).parts[:-1])),
                  key=lambda p: str(p))


def sniff(data: bytes) -> Container:
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "html"
    try:
        data[:4096].decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown"


def open_submission(path: Path, received: float | None = None) -> tuple[Submission | None, list[Finding]]:
    """Read a file once and check it; a None submission means it cannot be parsed safely."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, [finding("file-too-large", f"文件有 {size / 1e6:.1f} MB，超过 {MAX_FILE_BYTES // 2**20} MB 上限",
                              hint="请删除图片等无关内容后重新发送")]
    data = path.read_bytes()
    sub = Submission(path, data, hashlib.sha256(data).hexdigest(),
                     received if received is not None else path.stat().st_mtime, sniff(data))
    checks = {"xlsx": _check_zip, "ole": _check_ole, "html": _not_workbook, "text": _not_workbook,
              "unknown": _not_workbook}
    return checks[sub.container](sub)


def _not_workbook(sub: Submission) -> tuple[None, list[Finding]]:
    what = {"html": "网页（HTML/XML）文件，只是扩展名改成了 Excel 的", "text": "文本文件",
            "unknown": "无法识别的文件"}[sub.container]
    return None, [finding("file-not-workbook", f"这是{what}，不是 Excel 工作簿",
                          hint="请在 Excel 或 WPS 中打开下发的模板填写，另存为 .xlsx 后发送")]


def _check_ole(sub: Submission) -> tuple[Submission | None, list[Finding]]:
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(sub.data)) as ole:
            streams = {"/".join(s) for s in ole.listdir()}
    except Exception:  # olefile raises plain OSError/struct errors on damaged files
        return None, [finding("file-damaged", "文件已损坏（无法读取其内部结构）", hint="请重新保存后发送")]
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        return None, [finding("file-encrypted", "文件设有打开密码，无法读取", hint="请去除密码后重新发送")]
    if not {"Workbook", "Book"} & streams:
        return None, [finding("file-not-workbook", "这是 Word 等其他 Office 文件，不是 Excel 工作簿",
                              hint="请用下发的 Excel 模板填写")]
    return sub, [finding("file-legacy-format", "这是旧版 .xls/.et 格式，已尽量读取",
                         hint="请在 Excel/WPS 中“另存为” .xlsx 格式，以免下拉选项和校验丢失")]


def _check_zip(sub: Submission) -> tuple[Submission | None, list[Finding]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(sub.data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None, [_damaged().finding]
    try:
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED_BYTES or total > MAX_RATIO * max(len(sub.data), 100_000):
            return None, [finding("file-zip-bomb", f"文件解压后有 {total / 1e6:.0f} MB，体积异常，已拒绝读取",
                                  hint="请用下发的模板重新填写")]
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            kind = "Word 文档" if "word/document.xml" in names else "压缩包或其他文件"
            return None, [finding("file-not-workbook", f"这是{kind}，不是 Excel 工作簿", hint="请发送 Excel 工作簿")]
        sub.sheet_files, sub.zip = _sheet_files(zf), zf
        return sub, []
    except Rejected as rej:
        return None, [rej.finding]
    except _DAMAGED:
        return None, [_damaged().finding]
    finally:
        if sub.zip is None:
            zf.close()


_DAMAGED = (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, zlib.error)


class Rejected(Exception):
    """The file must not be parsed (further); .finding says why."""

    def __init__(self, f: Finding) -> None:
        super().__init__(f.message)
        self.finding = f


def _damaged() -> Rejected:
    return Rejected(finding("file-damaged", "文件已损坏或不完整（可能没有下载完）", hint="请重新保存后发送"))


def _sheet_files(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → part name, from workbook.xml and its relationships (defused XML)."""
    from defusedxml import ElementTree as ET

    try:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # EntitiesForbidden, ParseError …: not a file a township's app wrote
        raise Rejected(finding("file-damaged", "文件内部结构无效（XML 损坏或含有不安全内容）",
                              hint="请用 Excel/WPS 重新保存后发送")) from None
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in wb.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet"):
        rid = sheet.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
        target = targets.get(rid, "")
        out[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def scan_sheet(sub: Submission, name: str) -> list[Finding]:
    """Check one sheet's XML before it is parsed: raises Rejected for an absurd sheet, returns
    the findings a readable sheet still deserves (formulas without a cached value)."""
    part = sub.sheet_files.get(name)
    if sub.zip is None or part is None:
        return []  # a legacy .xls: calamine reads its records without a grid blow-up
    try:
        info = sub.zip.getinfo(part)
        if info.file_size > MAX_SHEET_XML:
            raise Rejected(finding("file-too-large", f"工作表「{name}」过大（{info.file_size / 1e6:.0f} MB）",
                                   sheet=name, hint="请只保留模板中的内容"))
        xml = sub.zip.read(part)
    except _DAMAGED:
        raise _damaged() from None
    max_row, max_col = _bounds(xml)
    if max_row and (max_row > MAX_ROWS or max_row * max_col > MAX_CELLS):
        far = f"{_col_letters(max_col)}{max_row}"
        raise Rejected(finding("file-dimensions-absurd", f"工作表「{name}」的数据一直延伸到 {far}，范围异常，已拒绝读取",
                               sheet=name, cell=far, hint="请删除表格远处的内容后重新保存"))
    refs = [_ref_before(xml, m.start()) for m in _NO_CACHE.finditer(xml)]
    if not refs:
        return []
    shown = "、".join(refs[:5]) + ("等" if len(refs) > 5 else "")
    return [finding("formula-no-cache", f"工作表「{name}」中 {len(refs)} 个公式没有计算结果（{shown}），这些格按空白处理",
                    sheet=name, cell=refs[0], hint="文件可能是由程序生成的；请用 Excel/WPS 打开并保存一次后再发送")]


def _bounds(xml: bytes) -> tuple[int, int]:
    """(last row, last column) of the far cells that hold something; (0, 0) when all lie in A1:Z99.

    At most 99 × 16384 cells can hide in the unscanned rows, so the bound only matters (and is
    exact in rows) once a far-down cell exists.
    """
    max_row = max_col = 0
    for m in _FAR_CELL.finditer(xml):
        letters, digits = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        max_row, max_col = max(max_row, int(digits)), max(max_col, _col_number(letters))
    if max_row > NEAR_ROWS:
        max_col = max(max_col, NEAR_COLS)  # an upper bound: columns A–Z are not scanned
    return max_row, max_col


def _ref_before(xml: bytes, pos: int) -> str:
    start = xml.rfind(b'<c r="', 0, pos)
    m = _CELL_REF.match(xml, start) if start >= 0 else None
    return m.group(1).decode() if m else "?"


def _col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s
