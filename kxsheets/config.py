"""kxsheets.toml — the settings of one reporting round (no passwords, ever).

Read with the standard library's tomllib, checked with pydantic; errors name the key.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import KxError

CONFIG_FILE = "kxsheets.toml"


class MailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = ""
    port: int = Field(default=465, ge=1, le=65535)
    security: str = Field(default="ssl", pattern="^(ssl|starttls|none)$")
    user: str = ""
    sender: str = ""
    cafile: str = ""
    results_to: list[str] = []


class RoundConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    county: str = Field(min_length=1, max_length=40)
    year: int = Field(ge=2000, le=2100)
    template: str = "township-annual"
    scoring: str = "department-self-evaluation"
    preset: str = ""
    deadline: str = ""
    previous_round: str = ""
    code: str = Field(default="", pattern=r"^(\d{6,18})?$")
    report_template: str = ""
    mail: MailConfig = MailConfig()


def read_config(round_dir: Path) -> RoundConfig:
    path = Path(round_dir) / CONFIG_FILE
    if not path.is_file():
        raise KxError("round-not-found", f"这里不是填报轮次文件夹（缺少 {CONFIG_FILE}）；可用 kxsheets init 创建",
                      path=str(round_dir))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KxError("config-invalid", f"配置文件格式错误：{exc}", path=str(path)) from None
    try:
        return RoundConfig.model_validate(data)
    except ValidationError as exc:
        lines = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise KxError("config-invalid", f"配置项有误：{lines}", path=str(path)) from None


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def render_config(cfg: RoundConfig) -> str:
    m = cfg.mail
    title = " ".join(cfg.county.split())  # a comment line must stay one line
    return f"""# kxsheets 填报轮次配置（{title} {cfg.year} 年度）
# 说明见 README.md。密码不写在这里：请设置环境变量 KXSHEETS_SMTP_PASSWORD。

county = {_q(cfg.county)}          # 县（区）名称
year = {cfg.year}                  # 填报年度
template = {_q(cfg.template)}      # 乡镇填报表模式（schemas/ 中的 id）
scoring = {_q(cfg.scoring)}        # 部门整体自评表模式
preset = {_q(cfg.preset)}          # 评分预设，留空则用评分模式中的 preset（national / wangcheng / hubei / chongqing）
deadline = {_q(cfg.deadline)}      # 截止日期，如 "2026-01-15"
previous_round = {_q(cfg.previous_round)}  # 上一轮次文件夹，如 "../2024"，用于同比
code = {_q(cfg.code)}              # 本县（区）统一编码，向上级报送时用
report_template = {_q(cfg.report_template)}  # 向上级报送的填报表模式，如 "county-annual"；留空则不生成

[mail]
host = {_q(m.host)}
port = {m.port}
security = {_q(m.security)}        # ssl（465）/ starttls（587）/ none（仅限本机回环地址）
user = {_q(m.user)}
sender = {_q(m.sender)}
cafile = {_q(m.cafile)}
results_to = [{", ".join(_q(a) for a in m.results_to)}]
"""
