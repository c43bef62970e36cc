"""A ``--config`` file (TOML or YAML) → per-rule threshold overrides and input limits, validated.

```toml
[limits]
max_line = 65536
max_bytes = 1073741824

[rules.startup-slow]
warning_s = 4
error_s = 8

[rules.update-stuck]
enabled = false
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .limits import Limits, limits_from
from .rules.registry import REGISTRY

RuleConfig = dict[str, dict[str, Any]]


def load_config(path: str | Path) -> RuleConfig:
    """The rule overrides of a TOML or YAML file; ``ConfigError`` naming the file and key on any fault."""
    return validate_config(_document(path), str(path))


def load_limits(path: str | Path) -> Limits:
    """The input limits of a config file's ``[limits]`` table (the defaults for those it does not set)."""
    document = _document(path)
    validate_config(document, str(path))
    return limits_from(document.get("limits"), str(path))


def _document(path: str | Path) -> Any:
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", path=shown) from exc
    try:
        if shown.lower().endswith((".yaml", ".yml")):
            document = yaml.safe_load(text) or {}
        else:
            document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"not valid TOML/YAML: {exc}", path=shown) from exc
    return document


def validate_config(document: Any, shown: str = "<config>") -> RuleConfig:
    """Check a parsed config document: known rule ids, known threshold names, numeric values."""
    if not isinstance(document, dict):
        raise ConfigError("the config must be a mapping with a 'rules' table", path=shown)
    unknown_top = set(document) - {"rules", "limits"}
    if unknown_top:
        raise ConfigError(
            f"unknown top-level keys {sorted(unknown_top)}", path=shown, hint="only [limits] and [rules.<id>] tables"
        )
    limits_from(document.get("limits"), shown)
    rules = document.get("rules") or {}
    if not isinstance(rules, dict):
        raise ConfigError("'rules' must be a table of rule ids", path=shown)
    config: RuleConfig = {}
    for rule_id, values in rules.items():
        rule = REGISTRY.get(rule_id)
        if rule is None:
            raise ConfigError(f"unknown rule {rule_id!r}", path=shown, hint=f"rules: {', '.join(REGISTRY)}")
        if not isinstance(values, dict):
            raise ConfigError(f"[rules.{rule_id}] must be a table", path=shown)
        checked: dict[str, Any] = {}
        for name, value in values.items():
            if name == "enabled":
                if not isinstance(value, bool):
                    raise ConfigError(f"rules.{rule_id}.enabled must be true or false", path=shown)
            elif name not in rule.thresholds:
                known = ", ".join(rule.thresholds) or "none"
                raise ConfigError(
                    f"rule {rule_id!r} has no threshold {name!r}", path=shown, hint=f"its thresholds: {known}"
                )
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"rules.{rule_id}.{name} must be a non-negative number, not {value!r}", path=shown)
            checked[name] = value
        config[rule_id] = checked
    return config
