"""The schema language: typed models, a safe expression language, loading with YAML-path errors."""

from .expr import Expr, ExprError, MissingValue
from .loader import Registry, SchemaError, parse_schema
from .models import FieldSpec, FormSheet, TableSheet, TemplateSchema
from .scoring import Preset, RuleSet, ScoringSchema

__all__ = [
    "Expr", "ExprError", "MissingValue", "Registry", "SchemaError", "parse_schema", "FieldSpec",
    "FormSheet", "TableSheet", "TemplateSchema", "Preset", "RuleSet", "ScoringSchema",
]
