"""E-mail: messages with Chinese attachment names every client shows, sent over verified TLS.

    settings(cfg) -> MailSettings          kxsheets.toml [mail], each key overridable by environment
    build(sender, to, subject, body, attachments) -> Message
    Connection(settings) as smtp: smtp.send(msg, to)

Attachment names: RFC 2231 ``filename*=utf-8''…`` on one line (no continuations, which Outlook
and QQ Mail mishandle) plus an RFC 2047 ``name="=?utf-8?b?…?="`` fallback — the compat32 recipe
of ../shared/domain/hostile-inputs.md §3. Headers are built only from text that holds no CR, LF,
NUL or encoded-word opener (``=?``); recipients are always passed explicitly. TLS is verified
(``ssl.create_default_context``, optional CA file); no TLS is allowed only to a loopback host.
The password comes from ``KXSHEETS_SMTP_PASSWORD`` or the system keyring, never from a file.
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from .config import MailConfig
from .errors import KxError

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ENV = "KXSHEETS_SMTP_"
TIMEOUT = 30


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    security: str  # ssl | starttls | none
    user: str
    sender: str
    cafile: str
    password: str = ""

    def __repr__(self) -> str:  # never print the password
        return f"MailSettings({self.host}:{self.port} {self.security} user={self.user!r} sender={self.sender!r})"


def settings(cfg: MailConfig) -> MailSettings:
    """kxsheets.toml's [mail], each overridden by KXSHEETS_SMTP_HOST / _PORT / _SECURITY / _USER / _SENDER."""
    env = os.environ
    host = env.get(ENV + "HOST", cfg.host)
    port_text = env.get(ENV + "PORT", str(cfg.port))
    security = env.get(ENV + "SECURITY", cfg.security)
    if not host:
        raise KxError("mail-not-configured", "没有设置邮件服务器：请在 kxsheets.toml 的 [mail] 中填写 host、port、sender")
    if security not in ("ssl", "starttls", "none"):
        raise KxError("mail-not-configured", f"security 只能是 ssl、starttls 或 none，这里是“{security}”")
    try:
        port = int(port_text)
    except ValueError:
        raise KxError("mail-not-configured", f"端口“{port_text}”不是数字") from None
    if security == "none" and not _loopback(host):
        raise KxError("mail-insecure", f"不加密（security = none）只允许本机回环地址，{host} 不是；请用 ssl 或 starttls")
    user = env.get(ENV + "USER", cfg.user)
    sender = env.get(ENV + "SENDER", cfg.sender) or user
    if not sender:
        raise KxError("mail-not-configured", "没有设置发件人：请在 [mail] 中填写 sender")
    return MailSettings(host, port, security, user, safe_header(sender), cfg.cafile, _password(user, host))


def _loopback(host: str) -> bool:
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback
                   for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP))
    except (OSError, ValueError):
        return False


def _password(user: str, host: str) -> str:
    if not user:
        return ""
    if ENV + "PASSWORD" in os.environ:
        return os.environ[ENV + "PASSWORD"]
    try:
        import keyring  # optional: the system keyring (Windows Credential Manager, macOS Keychain …)
    except ImportError:
        return ""
    return keyring.get_password(f"kxsheets-smtp-{host}", user) or ""


def safe_header(text: str) -> str:
    """Text for a header, or KxError: CR, LF, NUL and encoded-word openers could add headers."""
    if any(ch in text for ch in "\r\n\0") or "=?" in text:
        raise KxError("mail-header-unsafe", f"“{text.encode('unicode_escape').decode()}”含有换行或编码字符，不能用于邮件标题或地址")
    return text


def build(sender: str, to: list[str], subject: str, body: str, attachments: list[tuple[str, bytes]],
          to_name: str = "", domain: str = "kxsheets.local") -> Message:
    msg = MIMEMultipart()
    msg["From"] = safe_header(sender)
    msg["To"] = ", ".join(formataddr((safe_header(to_name), safe_header(a)), charset="utf-8") if to_name
                          else safe_header(a) for a in to)
    msg["Subject"] = Header(safe_header(subject), "utf-8").encode(maxlinelen=10000)
    msg["Date"] = format_datetime(_now())
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.attach(MIMEText(body, "plain", "utf-8"))
    for name, data in attachments:
        msg.attach(attachment(name, data))
    return msg


def attachment(filename: str, data: bytes) -> MIMEBase:
    """An .xlsx part whose Chinese name survives Outlook, Foxmail, QQ Mail and 163."""
    part = MIMEBase(*XLSX_TYPE)
    part.set_payload(data)
    encoders.encode_base64(part)
    part.set_param("name", Header(safe_header(filename), "utf-8").encode(maxlinelen=10000))
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    return part


def as_bytes(msg: Message) -> bytes:
    """The message as sent: CRLF line ends (smtplib sends bytes as they are), long header lines
    kept whole (no RFC 2231 continuations)."""
    from email.generator import BytesGenerator
    from email.policy import compat32
    from io import BytesIO

    buf = BytesIO()
    BytesGenerator(buf, policy=compat32.clone(max_line_length=998, linesep="\r\n")).flatten(msg)
    return buf.getvalue()


def _now():
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).astimezone()


class Connection:
    """One SMTP session: implicit TLS (465), STARTTLS (587) or, to loopback only, plain."""

    def __init__(self, s: MailSettings) -> None:
        self.s = s
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Connection:
        s = self.s
        ctx = ssl.create_default_context(cafile=s.cafile or None)
        try:
            if s.security == "ssl":
                self.smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT, context=ctx)
            else:
                self.smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
                if s.security == "starttls":
                    self.smtp.starttls(context=ctx)
            if s.user:
                self._login()
        except ssl.SSLCertVerificationError as exc:
            raise KxError("mail-tls-failed", f"邮件服务器证书验证失败：{exc.verify_message}；内部服务器请在 [mail] cafile "
                                             "中指定其 CA 证书") from None
        except smtplib.SMTPAuthenticationError:
            raise KxError("mail-login-failed", "邮件服务器拒绝登录：请检查 user 与环境变量 KXSHEETS_SMTP_PASSWORD "
                                               "（QQ/163 邮箱需使用授权码）") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise KxError("mail-connect-failed", f"无法连接邮件服务器 {s.host}:{s.port}：{exc}") from None
        return self

    def _login(self) -> None:
        """AUTH PLAIN when offered (one attempt, one clear answer), else smtplib's own choice."""
        smtp, s = self.smtp, self.s
        assert smtp is not None
        smtp.ehlo_or_helo_if_needed()
        if "plain" in smtp.esmtp_features.get("auth", "").lower().split():
            smtp.user, smtp.password = s.user, s.password
            smtp.auth("PLAIN", smtp.auth_plain)
        else:
            smtp.login(s.user, s.password)

    def send(self, msg: Message, to: list[str]) -> dict[str, tuple[int, bytes]]:
        """Send to ``to`` (explicit envelope); returns the refused recipients (empty when all took it)."""
        assert self.smtp is not None
        try:
            return self.smtp.sendmail(self.s.sender, to, as_bytes(msg))
        except smtplib.SMTPRecipientsRefused as exc:
            return exc.recipients

    def __exit__(self, *exc: object) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()


def write_eml(msg: Message, folder: Path, name: str) -> Path:
    from .atomic import write_bytes
    from .text import safe_filename

    path = Path(folder) / safe_filename(name, ".eml")
    write_bytes(path, as_bytes(msg))
    return path
