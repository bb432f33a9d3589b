"""Collecting returns from mail: every workbook attached to the messages of a mailbox export.

    collect(rnd, folder) -> [Collected]      a folder of .eml files (Outlook/Foxmail/Thunderbird export)

Workbooks are recognised by their bytes (intake.sniff), also inside zip attachments, whose
member names are recovered when Windows wrote them in GBK without the UTF-8 flag. Each is
stored in inbox/ as ``<收到时间>_<原文件名>`` — never overwriting — with its mtime set to the time
received, and recorded in the ledger (sender, time, Message-ID, sha256). The same file sent
twice is kept once. Which version counts is decided later by time received, not by name.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

from .errors import KxError
from .intake import MAX_FILE_BYTES, sniff
from .ledger import record_received, was_received
from .rounds import Round
from .text import safe_filename

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et")
MAX_ZIP_MEMBERS = 200


@dataclass
class Collected:
    name: str  # the attachment's own name
    sender: str
    received: float
    path: Path | None  # where it was stored; None when it was a duplicate
    note: str = ""


def collect(rnd: Round, folder: Path) -> list[Collected]:
    if not Path(folder).is_dir():
        raise KxError("path-not-found", "找不到邮件导出文件夹", path=str(folder))
    out: list[Collected] = []
    for eml in sorted(Path(folder).rglob("*.eml")):
        msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        sender = parseaddr(str(msg.get("From", "")))[1]
        when = _received(msg, eml)
        message_id = str(msg.get("Message-ID", "")).strip()
        for name, data in _workbooks(msg):
            out.append(_store(rnd, name, data, sender, when, message_id))
    return out


def _received(msg: email.message.Message, eml: Path) -> float:
    try:
        return parsedate_to_datetime(str(msg["Date"])).timestamp()
    except (TypeError, ValueError):
        return eml.stat().st_mtime


def _workbooks(msg: email.message.Message) -> list[tuple[str, bytes]]:
    found = []
    for part in msg.iter_attachments():
        name = part.get_filename() or "附件"
        data = part.get_payload(decode=True) or b""
        if not data or len(data) > MAX_FILE_BYTES:
            continue
        if _is_workbook(name, data):
            found.append((name, data))
        elif sniff(data) == "xlsx" and name.lower().endswith(".zip"):
            found += _from_zip(data)
    return found


def _is_workbook(name: str, data: bytes) -> bool:
    kind = sniff(data)
    if kind == "ole":
        return True
    if kind == "xlsx":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                return "xl/workbook.xml" in zf.namelist()
        except zipfile.BadZipFile:
            return name.lower().endswith(WORKBOOK_SUFFIXES)  # damaged: keep it, validation will say so
    return name.lower().endswith(WORKBOOK_SUFFIXES)  # an HTML "xls": keep it, validation explains


def _from_zip(data: bytes) -> list[tuple[str, bytes]]:
    out = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist()[:MAX_ZIP_MEMBERS]:
                if info.is_dir() or info.file_size > MAX_FILE_BYTES:
                    continue
                member = zf.read(info)
                name = zip_name(info)
                if _is_workbook(name, member):
                    out.append((Path(name).name, member))
    except (zipfile.BadZipFile, OSError, ValueError):
        pass
    return out


def zip_name(info: zipfile.ZipInfo) -> str:
    """A member's real name: zipfile reads names without the UTF-8 flag as cp437, but Windows'
    built-in zip and WinRAR on Chinese systems write them in GBK."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    for codec in ("utf-8", "gbk"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def _store(rnd: Round, name: str, data: bytes, sender: str, when: float, message_id: str) -> Collected:
    from .atomic import write_bytes

    digest = hashlib.sha256(data).hexdigest()
    stamp = dt.datetime.fromtimestamp(when).strftime("%Y%m%d-%H%M%S")
    inbox = rnd.dir / "inbox"
    target = inbox / safe_filename(f"{stamp}_{Path(name).stem}", Path(name).suffix.lower() or ".xlsx")
    n = 2
    while target.exists():  # never overwrite a received file
        target = target.with_name(f"{target.stem.rsplit('~', 1)[0]}~{n}{target.suffix}")
        n += 1
    if was_received(rnd.dir, digest):
        return Collected(name, sender, when, None, "与已收到的文件内容相同，未重复保存")
    write_bytes(target, data)  # the file first, then the record: a crash between leaves a file, never a gap
    os.utime(target, (when, when))
    record_received(rnd.dir, digest, target.name, name, sender, when, message_id)
    return Collected(name, sender, when, target)
