"""Load YAML configuration files into pydantic models with errors a user can act on.

Every error names the file, the line and the field, says what was wrong and how to fix
it. Line numbers come from PyYAML's node marks, kept per key path while loading.

Examples
--------
>>> from pydantic import BaseModel, ConfigDict
>>> class Demo(BaseModel):
...     model_config = ConfigDict(extra="forbid")
...     port: int
>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "demo.yaml"
>>> _ = p.write_text("port: 4840\\ncolour: red\\n")
>>> try:
...     load_yaml_model(p, Demo)
... except ConfigError as e:
...     print(str(e).splitlines()[0].split("/")[-1])
demo.yaml:2: 'colour': unknown key (allowed keys: port)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
PathKey = tuple[str | int, ...]


class ConfigError(ValueError):
    """A configuration file is invalid; the message says where and how to fix it."""


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records the line of every mapping key and sequence item."""


def _compose_lines(node: yaml.Node, path: PathKey, lines: dict[PathKey, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _compose_lines(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            _compose_lines(item, (*path, i), lines)


def load_yaml_with_lines(path: Path) -> tuple[Any, dict[PathKey, int]]:
    """Parse ``path`` and return ``(data, lines)`` where ``lines`` maps key paths to lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found; check the path (relative to {Path.cwd()})") from None
    try:
        node = yaml.compose(text, Loader=_LineLoader)
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {exc.problem}; fix the syntax") from None
    lines: dict[PathKey, int] = {}
    if node is not None:
        _compose_lines(node, (), lines)
    return data, lines


def _line_for(loc: PathKey, lines: dict[PathKey, int]) -> int | None:
    # The deepest prefix of the error location that we have a line for.
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _describe(loc: PathKey) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def format_validation_error(path: Path, exc: ValidationError, lines: dict[PathKey, int], model: type[BaseModel]) -> str:
    """Turn a pydantic error into ``file:line: field: problem`` lines."""
    messages = []
    for err in exc.errors():
        loc: PathKey = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        line = _line_for(loc, lines)
        where = f"{path}:{line}" if line else str(path)
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            hint = f" (allowed keys: {', '.join(allowed)})" if allowed else ""
            messages.append(f"{where}: '{loc[-1]}': unknown key{hint}")
        elif err["type"] == "missing":
            messages.append(f"{where}: '{_describe(loc)}': required field is missing; add it")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            messages.append(f"{where}: '{_describe(loc)}': {msg}")
    return "\n".join(messages)


def _allowed_keys(model: type[BaseModel], loc: PathKey) -> list[str]:
    """Field names of the (nested) model at ``loc``, for 'unknown key' hints."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def load_yaml_model(path: str | Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    """Load ``path`` and validate it as ``model``; raise :class:`ConfigError` on any problem."""
    path = Path(path)
    data, lines = load_yaml_with_lines(path)
    if data is None:
        raise ConfigError(f"{path}: the file is empty; see config/ for examples")
    try:
        return model.model_validate(data, context={"lines": lines, **(context or {})})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc, lines, model)) from None
