"""Intake: which files in a folder are submissions, what their bytes really are, and whether
they are safe to hand to a parser.

The container is decided from the bytes, never the extension (zip / OLE / HTML / text). Before
any spreadsheet parser sees a zip, its central directory and sheet XML are checked: a 1 MB file
that inflates to 1 GB, or one cell at XFD1048576 (which makes calamine abort the whole process
while allocating the range), is rejected here with a finding instead of taking the run down.
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

_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?<!/)>')
_NO_CACHE = re.compile(
    rb'<c r="([A-Z]{1,3}[0-9]{1,7})"[^>]*>\s*<f[^>]*(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')


@dataclass
class Submission:
    path: Path
    data: bytes = field(repr=False)
    sha256: str
    received: float
    container: Container
    sheet_files: dict[str, str] = field(default_factory=dict)  # sheet name → xl/worksheets/…


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
        return None, [finding("file-damaged", "文件已损坏或不完整（可能没有下载完）", hint="请重新保存后发送")]
    with zf:
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED_BYTES or total > MAX_RATIO * max(len(sub.data), 100_000):
            return None, [finding("file-zip-bomb", f"文件解压后有 {total / 1e6:.0f} MB，体积异常，已拒绝读取",
                                  hint="请用下发的模板重新填写")]
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            kind = "Word 文档" if "word/document.xml" in names else "压缩包或其他文件"
            return None, [finding("file-not-workbook", f"这是{kind}，不是 Excel 工作簿", hint="请发送 Excel 工作簿")]
        try:
            sub.sheet_files = _sheet_files(zf)
            return sub, _scan_sheets(zf, sub.sheet_files)
        except _Reject as rej:
            return None, [rej.finding]
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, zlib.error):
            return None, [finding("file-damaged", "文件已损坏或不完整（可能没有下载完）", hint="请重新保存后发送")]


class _Reject(Exception):
    def __init__(self, f: Finding) -> None:
        self.finding = f


def _sheet_files(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → part name, from workbook.xml and its relationships (defused XML)."""
    from defusedxml import ElementTree as ET

    try:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # EntitiesForbidden, ParseError …: not a file a township's app wrote
        raise _Reject(finding("file-damaged", "文件内部结构无效（XML 损坏或含有不安全内容）",
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


def _scan_sheets(zf: zipfile.ZipFile, sheet_files: dict[str, str]) -> list[Finding]:
    out: list[Finding] = []
    for name, part in sheet_files.items():
        info = zf.getinfo(part)
        if info.file_size > MAX_SHEET_XML:
            raise _Reject(finding("file-too-large", f"工作表「{name}」过大（{info.file_size / 1e6:.0f} MB）",
                                  sheet=name, hint="请只保留模板中的内容"))
        xml = zf.read(part)
        max_row, max_letters = 0, b""
        for m in _CELL.finditer(xml):
            max_row = max(max_row, int(m.group(2)))
            letters = m.group(1)
            if (len(letters), letters) > (len(max_letters), max_letters):
                max_letters = letters
        max_col = _col_number(max_letters)
        if max_row and (max_row > MAX_ROWS or max_row * max_col > MAX_CELLS):
            far = f"{_col_letters(max_col)}{max_row}"
            raise _Reject(finding("file-dimensions-absurd",
                                  f"工作表「{name}」的数据一直延伸到 {far}，范围异常，已拒绝读取",
                                  sheet=name, cell=far, hint="请删除表格远处的内容后重新保存"))
        refs = [m.group(1).decode() for m in _NO_CACHE.finditer(xml)]
        if refs:
            shown = "、".join(refs[:5]) + ("等" if len(refs) > 5 else "")
            out.append(finding("formula-no-cache", f"工作表「{name}」中 {len(refs)} 个公式没有计算结果（{shown}），"
                                                   "这些格按空白处理", sheet=name, cell=refs[0],
                               hint="文件可能是由程序生成的；请用 Excel/WPS 打开并保存一次后再发送"))
    return out


def _col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s
