"""Mail against a real SMTP server (aiosmtpd on 127.0.0.1, started here): Chinese attachment
names, verified TLS, AUTH, refused recipients retried, a killed batch rerun exactly once, and
no header smuggled in through a township name."""

from __future__ import annotations

import email
import email.policy
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kxsheets.errors import KxError
from kxsheets.mail_round import send
from kxsheets.mailer import build
from kxsheets.roster import Unit, read_roster, write_roster
from kxsheets.rounds import Round, generate_templates, init_round

UNITS = [Unit("城关镇", "990001", "刘洋", "cg@town.example"), Unit("青山镇", "990002", "陈静", "qs@town.example"),
         Unit("白沙镇", "990003", "王芳", "bs@town.example"), Unit("石门乡", "990004", "赵强", "sm@town.example")]


class Sink:
    """Keeps every accepted message; can refuse an address, or hold the n-th message."""

    def __init__(self) -> None:
        self.msgs: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.hold_at: int | None = None
        self.holding, self.release = threading.Event(), threading.Event()
        self.seen = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.hold_at == self.seen:
            self.holding.set()
            while not self.release.is_set():  # the client is killed meanwhile
                await __import__("asyncio").sleep(0.05)
            return "451 4.3.0 aborted"
        self.msgs.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def parsed(self):
        return [(to, email.message_from_bytes(raw, policy=email.policy.default)) for to, raw in self.msgs]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sink():
    yield from _server()


def _server(**kw):
    handler = Sink()
    c = Controller(handler, hostname="127.0.0.1", port=free_port(), **kw)
    c.start()
    handler.port = c.port
    try:
        yield handler
    finally:
        handler.release.set()
        c.stop()


@pytest.fixture
def rnd(tmp_path, monkeypatch) -> Round:
    r = init_round(tmp_path / "r", "示例县", 2025, UNITS)
    generate_templates(r)
    for k in ("HOST", "PORT", "SECURITY", "USER", "SENDER", "PASSWORD"):
        monkeypatch.delenv(f"KXSHEETS_SMTP_{k}", raising=False)
    return r


def use(monkeypatch, port: int, security: str = "none", **env: str) -> None:
    monkeypatch.setenv("KXSHEETS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KXSHEETS_SMTP_PORT", str(port))
    monkeypatch.setenv("KXSHEETS_SMTP_SECURITY", security)
    monkeypatch.setenv("KXSHEETS_SMTP_SENDER", "kx@county.example")
    for k, v in env.items():
        monkeypatch.setenv(f"KXSHEETS_SMTP_{k}", v)


def test_templates_arrive_with_their_chinese_names_once(rnd, sink, monkeypatch) -> None:
    use(monkeypatch, sink.port)
    rows = send(rnd, "templates")
    assert [r.status for r in rows] == ["已发送"] * 4
    names = sorted(p.name for p in (rnd.dir / "templates").glob("*.xlsx"))
    got = sink.parsed()
    assert sorted(to[0] for to, _ in got) == sorted(u.email for u in UNITS)
    for (to, msg), (_, raw) in zip(got, sink.msgs):
        att = next(msg.iter_attachments())
        assert att.get_filename() in names and att.get_content_type() == \
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert att.get_content() == (rnd.dir / "templates" / att.get_filename()).read_bytes()
        assert b"filename*=utf-8''" in raw and b"filename*0" not in raw  # one line, no continuations
        assert b'name="=?utf-8?b?' in raw  # the RFC 2047 fallback Outlook and QQ Mail read
        assert set(msg.keys()) == {"Content-Type", "MIME-Version", "From", "To", "Subject", "Date", "Message-ID"}
        assert "示例县2025年度科协工作情况填报表" in msg["Subject"]
    again = send(rnd, "templates")
    assert [r.status for r in again] == ["已发过"] * 4 and len(sink.msgs) == 4


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_sink(ca):
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_ctx)

    def auth(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"kx", b"kx-secret-2025")
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself

    yield from _server(tls_context=server_ctx, require_starttls=True, authenticator=auth, auth_required=True)


def test_starttls_verifies_the_certificate_and_logs_in(rnd, tls_sink, ca, monkeypatch, tmp_path) -> None:
    use(monkeypatch, tls_sink.port, "starttls", USER="kx", PASSWORD="kx-secret-2025")
    with pytest.raises(KxError) as exc:  # a self-signed server: refused without its CA
        send(rnd, "templates")
    assert exc.value.code == "mail-tls-failed" and not tls_sink.msgs
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    cfg = rnd.config.model_copy(update={"mail": rnd.config.mail.model_copy(update={"cafile": str(cafile)})})
    rows = send(Round(rnd.dir, cfg), "templates")
    assert [r.status for r in rows] == ["已发送"] * 4 and len(tls_sink.msgs) == 4


def test_a_wrong_password_is_a_clear_error(rnd, tls_sink, ca, monkeypatch, tmp_path) -> None:
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    use(monkeypatch, tls_sink.port, "starttls", USER="kx", PASSWORD="wrong")
    cfg = rnd.config.model_copy(update={"mail": rnd.config.mail.model_copy(update={"cafile": str(cafile)})})
    with pytest.raises(KxError) as exc:
        send(Round(rnd.dir, cfg), "templates")
    assert exc.value.code == "mail-login-failed" and "wrong" not in exc.value.message, exc.value.message


def test_no_tls_only_to_loopback(rnd, monkeypatch) -> None:
    use(monkeypatch, 25, "none")
    monkeypatch.setenv("KXSHEETS_SMTP_HOST", "smtp.example.org")
    with pytest.raises(KxError) as exc:
        send(rnd, "templates")
    assert exc.value.code == "mail-insecure"


def test_a_refused_recipient_is_reported_and_retried_next_run(rnd, sink, monkeypatch) -> None:
    use(monkeypatch, sink.port)
    sink.refuse = {"qs@town.example"}
    rows = {r.out.unit_name: r for r in send(rnd, "templates")}
    assert rows["青山镇"].status == "失败" and "550" in rows["青山镇"].detail
    assert sorted(to[0] for to, _ in sink.msgs) == ["bs@town.example", "cg@town.example", "sm@town.example"]
    sink.refuse = set()
    again = {r.out.unit_name: r.status for r in send(rnd, "templates")}
    assert again == {"城关镇": "已发过", "青山镇": "已发送", "白沙镇": "已发过", "石门乡": "已发过"}
    assert sorted(to[0] for to, _ in sink.msgs) == sorted(u.email for u in UNITS)


def test_a_process_killed_mid_batch_then_rerun_delivers_each_message_once(rnd, sink, monkeypatch) -> None:
    sink.hold_at = 3  # the third message: the client is killed while the server holds it
    env = {**os.environ, "KXSHEETS_SMTP_HOST": "127.0.0.1", "KXSHEETS_SMTP_PORT": str(sink.port),
           "KXSHEETS_SMTP_SECURITY": "none", "KXSHEETS_SMTP_SENDER": "kx@county.example"}
    proc = subprocess.Popen([sys.executable, "-m", "kxsheets", "mail", "templates", str(rnd.dir)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert sink.holding.wait(60), "the batch never reached its third message"
        proc.kill()
        proc.wait(10)
    finally:
        sink.release.set()
    time.sleep(0.2)
    assert len(sink.msgs) == 2
    use(monkeypatch, sink.port)
    rows = send(rnd, "templates")
    assert sorted(r.status for r in rows) == ["已发过", "已发过", "已发送", "已发送"]
    delivered = sorted(to[0] for to, _ in sink.msgs)
    assert delivered == sorted(u.email for u in UNITS)  # each exactly once


@pytest.mark.parametrize("evil", ["城关镇\nReply-To: a@evil.example", "城关镇=?UTF-8?Q?=0AReply-To:_a@evil.example?=",
                                  "城关镇\r\nBcc: a@evil.example"])
def test_a_township_name_cannot_add_a_header(evil, tmp_path) -> None:
    with pytest.raises(KxError) as exc:
        build("kx@county.example", ["cg@town.example"], f"{evil}填报表", "正文", [], to_name=evil)
    assert exc.value.code == "mail-header-unsafe"
    with pytest.raises(KxError) as exc:
        build("kx@county.example", ["cg@town.example"], "填报表", "正文", [(f"{evil}.xlsx", b"x")])
    assert exc.value.code == "mail-header-unsafe"


def test_the_roster_refuses_names_that_could_smuggle_headers(tmp_path) -> None:
    import xlsxwriter

    path = tmp_path / "units.xlsx"
    write_roster(path, UNITS[:1])
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("单位名单")
    for c, h in enumerate(("单位名称", "编码", "联系人", "邮箱")):
        ws.write_string(0, c, h)
    for c, v in enumerate(("城关镇=?UTF-8?Q?=0A?=", "990001", "刘洋", "cg@town.example")):
        ws.write_string(1, c, v)
    wb.close()
    with pytest.raises(KxError) as exc:
        read_roster(path)
    assert exc.value.code == "roster-invalid" and "=?" in exc.value.message


def test_dry_run_writes_eml_files_and_sends_nothing(rnd, sink, monkeypatch) -> None:
    use(monkeypatch, sink.port)
    rows = send(rnd, "templates", dry_run=True)
    assert [r.status for r in rows] == ["已写入 outbox"] * 4 and not sink.msgs
    emls = sorted((rnd.dir / "outbox").glob("*.eml"))
    assert len(emls) == 4
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=email.policy.default)
    assert next(msg.iter_attachments()).get_filename().endswith(".xlsx")
    assert [r.status for r in send(rnd, "templates")] == ["已发送"] * 4  # a dry run is not a send
