"""Loading schema YAML into typed models, with errors that point into the YAML.

A schema with a mistake never half-loads: every problem is collected and raised together as
one :class:`SchemaError` whose lines read ``sheets[2].fields[4].min: 应为数字``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import KxError
from .checks import Problem, check_template
from .models import TemplateSchema
from .scoring import Preset, RuleSet, ScoringSchema, effective_rules
from .scoring_checks import check_scoring

BUILTIN_DIR = Path(__file__).resolve().parents[2] / "schemas"
PRESETS_FILE = "presets.yaml"

Schema = TemplateSchema | ScoringSchema

# pydantic error types → Chinese; {ctx} placeholders come from the error's ctx.
_MESSAGES = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的键（拼写错误？）",
    "string_pattern_mismatch": "格式不符（应匹配 {pattern}）",
    "literal_error": "取值应为 {expected} 之一",
    "string_too_short": "太短（至少 {min_length} 个字符）",
    "string_too_long": "太长（最多 {max_length} 个字符）",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于等于 {le}",
    "union_tag_invalid": "kind 应为 {expected_tags} 之一",
    "union_tag_not_found": "缺少 kind（form 或 table）",
    "model_type": "应为一个映射（键: 值）",
    "tuple_type": "应为一个列表",
    "list_type": "应为一个列表",
    "dict_type": "应为一个映射（键: 值）",
}
_UNION_TAGS = {"form", "table"}


class SchemaError(KxError):
    """A schema file that does not load; ``problems`` are (yaml_path, message) pairs."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        lines = "\n".join(f"  {p}: {m}" if p else f"  {m}" for p, m in problems)
        super().__init__("schema-invalid", f"模式文件有 {len(problems)} 处错误：\n{lines}", path=str(path))
        self.problems = problems


def yaml_path(loc: Iterable[Any]) -> str:
    """('sheets', 2, 'form', 'fields', 4, 'min') → 'sheets[2].fields[4].min'."""
    out = ""
    prev: Any = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(prev, int) and part in _UNION_TAGS:
            pass  # the discriminated union's branch name is not part of the YAML
        else:
            out += f".{part}" if out else str(part)
        prev = part
    return out


def _message(err: dict[str, Any]) -> str:
    template = _MESSAGES.get(err["type"])
    if err["type"] == "value_error":
        return str(err["ctx"]["error"]) if "ctx" in err else err["msg"]
    if template is None:
        return err["msg"]
    try:
        return template.format(**{k: v for k, v in (err.get("ctx") or {}).items()})
    except (KeyError, IndexError):
        return template


def problems_of(exc: ValidationError) -> list[Problem]:
    return [(yaml_path(e["loc"]), _message(e)) for e in exc.errors()]


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SchemaError(path, [("", "文件不是 UTF-8 编码")]) from None
    except OSError as exc:
        raise KxError("schema-not-found", f"无法读取模式文件：{exc.strerror}", path=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise SchemaError(path, [("", f"YAML 语法错误 {where}：{getattr(exc, 'problem', exc)}")]) from None


def parse_schema(data: Any, path: Path | str = "<schema>") -> Schema:
    """Validate a parsed YAML document (shape only for scoring; templates fully)."""
    if not isinstance(data, dict):
        raise SchemaError(path, [("", "模式文件的顶层应为一个映射（id: …, version: …）")])
    model = ScoringSchema if data.get("kind") == "scoring" else TemplateSchema
    try:
        schema = model.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(path, problems_of(exc)) from None
    if isinstance(schema, TemplateSchema):
        problems = check_template(schema)
        if problems:
            raise SchemaError(path, problems)
    return schema


def load_presets(path: Path) -> dict[str, Preset]:
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("presets"), list):
        raise SchemaError(path, [("presets", "应为评分预设的列表")])
    out: dict[str, Preset] = {}
    problems: list[Problem] = []
    for i, item in enumerate(data["presets"]):
        try:
            p = Preset.model_validate(item)
        except ValidationError as exc:
            problems += [(f"presets[{i}].{p}", m) for p, m in problems_of(exc)]
            continue
        out[p.id] = p
    if problems:
        raise SchemaError(path, problems)
    return out


@dataclass
class Registry:
    """Schemas found on a search path: the round's own ``schemas/`` first, then built-ins."""

    dirs: tuple[Path, ...]

    @classmethod
    def default(cls, round_dir: Path | None = None) -> Registry:
        dirs: list[Path] = []
        if round_dir is not None:
            dirs.append(Path(round_dir) / "schemas")
        dirs += [Path(p) for p in os.environ.get("KXSHEETS_SCHEMA_PATH", "").split(os.pathsep) if p]
        dirs.append(BUILTIN_DIR)
        return cls(tuple(d for d in dirs if d.is_dir()))

    def files(self) -> dict[str, Path]:
        """Schema id → file (first on the path wins)."""
        out: dict[str, Path] = {}
        for d in self.dirs:
            for f in sorted(d.glob("*.yaml")):
                if f.name != PRESETS_FILE:
                    out.setdefault(f.stem, f)
        return out

    def presets(self) -> dict[str, Preset]:
        out: dict[str, Preset] = {}
        for d in reversed(self.dirs):  # the round's presets override the built-in ones
            if (d / PRESETS_FILE).is_file():
                out.update(load_presets(d / PRESETS_FILE))
        return out

    def load(self, schema_id: str) -> Schema:
        path = self.files().get(schema_id)
        if path is None:
            known = "、".join(self.files()) or "（无）"
            raise KxError("schema-not-found", f"找不到模式“{schema_id}”；可用的有：{known}")
        return self.load_path(path)

    def load_path(self, path: Path) -> Schema:
        schema = parse_schema(read_yaml(path), path)
        if isinstance(schema, TemplateSchema) and schema.id != path.stem:
            raise SchemaError(path, [("id", f"id “{schema.id}”应与文件名“{path.stem}”一致")])
        if isinstance(schema, ScoringSchema):
            self.scoring_rules(schema, path)  # raises on any problem
        return schema

    def scoring_rules(self, schema: ScoringSchema, path: Path | str = "<schema>") -> RuleSet:
        """The rules in force for a scoring schema, after checking it against its source."""
        presets = self.presets()
        if schema.preset not in presets:
            raise SchemaError(path, [("preset", f"未知的评分预设“{schema.preset}”；可用的有：{'、'.join(presets)}")])
        rules = effective_rules(presets[schema.preset], schema.rules)
        source = None
        if schema.source_template:
            src = self.load(schema.source_template)
            source = src if isinstance(src, TemplateSchema) else None
        problems = check_scoring(schema, rules, source)
        if problems:
            raise SchemaError(path, problems)
        return rules
