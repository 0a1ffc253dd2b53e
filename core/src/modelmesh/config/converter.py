"""The one cattrs converter for the schema, configured once.

Leaves are strict (a quoted ``"3"`` is not an int, ``yes`` is not a string) except
for values that came from a whole ``${VAR}``, which are read as YAML scalars. Field
validators run inside structuring so every bad field of a class is reported at
once, and cattrs' structured errors become ConfigIssues at YAML paths.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from modelmesh.config.durations import Duration, format_duration, parse_duration
from modelmesh.config.fields import ConnectorRef, connector_id
from modelmesh.config.issues import InvalidValue, IssueLog, Path, suggestion
from modelmesh.config.references import EnvText, SecretText, plain
from modelmesh.redaction import redact_text

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)


def yaml_fields(cl: type) -> list[str]:
    """The keys a user may write for an attrs class."""
    return [a.name for a in attrs.fields(cl) if a.metadata.get("yaml", True)]


def structure(data: Any, cl: type[T], log: IssueLog) -> T | None:
    """Structure data into cl; on failure record every issue and return None."""
    try:
        return converter.structure(data, cl)
    except Exception as error:  # every failure becomes an issue, none escapes
        _report(error, (), log)
        return None


def unstructure_config(config: Any) -> dict[str, Any]:
    """The canonical YAML-ready form of a schema object."""
    return _yaml_ready(converter.unstructure(config))


# --- leaves -------------------------------------------------------------------------


def _scalar(value: Any) -> Any:
    return value.scalar() if isinstance(value, EnvText) else value


def _structure_str(value: Any, _type: Any) -> str:
    if isinstance(value, EnvText):
        return str.__str__(value)
    if isinstance(value, str):
        return value
    raise InvalidValue("expected a string (put quotes around the value in YAML)", value)


def _structure_int(value: Any, _type: Any) -> int:
    value = _scalar(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidValue("expected a whole number", value)


def _structure_float(value: Any, _type: Any) -> float:
    value = _scalar(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise InvalidValue("expected a number", value)


def _structure_bool(value: Any, _type: Any) -> bool:
    value = _scalar(value)
    if isinstance(value, bool):
        return value
    raise InvalidValue("expected true or false", value)


def _structure_duration(value: Any, _type: Any) -> float:
    return parse_duration(_scalar(value))


def _structure_connector(value: Any, _type: Any) -> str:
    return connector_id(value)


def _structure_enum(value: Any, cl: type[enum.Enum]) -> enum.Enum:
    values = [str(member.value) for member in cl]
    if isinstance(value, str) and value in values:
        return cl(str.__str__(value))
    raise InvalidValue(
        "expected one of: " + ", ".join(values), value, hint=suggestion(value, values)
    )


# --- containers -----------------------------------------------------------------------


def _is_sequence(type_: Any) -> bool:
    """``tuple[X, ...]`` or ``list[X]``: a YAML list, and never a string read as one."""
    args = get_args(type_)
    if get_origin(type_) is list:
        return len(args) == 1
    return get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _sequence_hook(type_: Any) -> Callable[[Any, Any], Any]:
    item_type = get_args(type_)[0]
    item_hook = converter.get_structure_hook(item_type)
    container = get_origin(type_)

    def structure_sequence(value: Any, _type: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise InvalidValue("expected a list", value)
        items, errors = [], []
        for index, item in enumerate(value):
            try:
                items.append(item_hook(item, item_type))
            except Exception as error:
                error.add_note(IterableValidationNote(f"@ index {index}", index, item_type))
                errors.append(error)
        if errors:
            raise IterableValidationError(f"While structuring {type_}", errors, type_)
        return container(items)

    return structure_sequence


def _is_dict(type_: Any) -> bool:
    return get_origin(type_) is dict


def _dict_hook(type_: Any) -> Callable[[Any, Any], dict[str, Any]]:
    value_type = get_args(type_)[1]
    value_hook = None if value_type is Any else converter.get_structure_hook(value_type)

    def structure_dict(value: Any, _type: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise InvalidValue("expected a mapping", value)
        result, errors = {}, []
        for key, item in value.items():
            try:
                if not isinstance(key, str):
                    raise InvalidValue("expected a text key (put quotes around it in YAML)")
                result[str.__str__(key)] = (
                    plain(item) if value_hook is None else value_hook(item, value_type)
                )
            except Exception as error:
                error.add_note(IterableValidationNote(f"@ key {key!r}", key, value_type))
                errors.append(error)
        if errors:
            raise IterableValidationError(f"While structuring {type_}", errors, type_)
        return result

    return structure_dict


# --- attrs classes ---------------------------------------------------------------------


def _validated(attribute: attrs.Attribute[Any]) -> Callable[[Any, Any], Any]:
    """Structure a field and run its validator now, so that one bad field does not
    hide the others (attrs would stop at the first failing validator)."""
    field_type = attribute.type
    validator = attribute.validator
    assert validator is not None

    def structure_field(value: Any, _type: Any) -> Any:
        result = converter.structure(value, field_type)
        validator(None, attribute, result)
        return result

    return structure_field


def _attrs_structure_hook(cl: type) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cl)
    overrides = {}
    for attribute in attrs.fields(cl):
        if attribute.metadata.get("loader"):
            overrides[attribute.name] = override(omit=True)
        elif attribute.validator is not None:
            overrides[attribute.name] = override(struct_hook=_validated(attribute))
    generated = make_dict_structure_fn(cl, converter, **overrides)

    def structure_class(value: Any, _type: Any) -> Any:
        if not isinstance(value, Mapping):
            raise InvalidValue("expected a mapping", value)
        return generated(value, cl)

    return structure_class


def _identity(value: Any) -> Any:
    return value


def _attrs_unstructure_hook(cl: type) -> Callable[[Any], dict[str, Any]]:
    attrs.resolve_types(cl)
    overrides = {}
    python_only = []
    for attribute in attrs.fields(cl):
        if not attribute.metadata.get("yaml", True):
            overrides[attribute.name] = override(omit=True)
        elif attribute.type is Any or attribute.type == dict[str, Any]:
            # connector objects and free options are data, not schema: keep them as given
            overrides[attribute.name] = override(unstruct_hook=_identity)
        if attribute.metadata.get("python_only"):
            python_only.append(attribute.name)
    generated = make_dict_unstructure_fn(cl, converter, **overrides)

    def unstructure_class(obj: Any) -> dict[str, Any]:
        data = generated(obj)
        for name in python_only:
            if data.get(name) is None:
                data.pop(name, None)
        return data

    return unstructure_class


def _yaml_ready(value: Any) -> Any:
    if isinstance(value, SecretText):
        return value.reference
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {key: _yaml_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_yaml_ready(item) for item in value]
    return value


converter.register_structure_hook(str, _structure_str)
converter.register_structure_hook(int, _structure_int)
converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook(bool, _structure_bool)
# Class hooks dispatch along the MRO: a StrEnum must not fall through to the str hook.
converter.register_structure_hook(enum.Enum, _structure_enum)
converter.register_structure_hook(enum.StrEnum, _structure_enum)
converter.register_structure_hook(Duration, _structure_duration)
converter.register_structure_hook(ConnectorRef, _structure_connector)
converter.register_structure_hook_factory(_is_sequence, _sequence_hook)
converter.register_structure_hook_factory(_is_dict, _dict_hook)
converter.register_structure_hook_factory(attrs.has, _attrs_structure_hook)
converter.register_unstructure_hook(Duration, format_duration)
converter.register_unstructure_hook_factory(attrs.has, _attrs_unstructure_hook)


# --- errors -> issues ------------------------------------------------------------------


def _report(error: BaseException, path: Path, log: IssueLog) -> None:
    if isinstance(error, ClassValidationError):
        with_notes, others = error.group_exceptions()
        for sub, note in with_notes:
            _report(sub, (*path, note.name), log)
        for sub in others:
            _report(sub, path, log)
    elif isinstance(error, IterableValidationError):
        with_index, others = error.group_exceptions()
        for sub, note in with_index:
            _report(sub, (*path, note.index), log)
        for sub in others:
            _report(sub, path, log)
    elif isinstance(error, ForbiddenExtraKeysError):
        known = yaml_fields(error.cl)
        for key in sorted(error.extra_fields, key=str):
            log.unknown_key(path, key, known, canonical=True)
    elif isinstance(error, InvalidValue):
        log.invalid_canonical(path, error)
    elif isinstance(error, KeyError) and path:
        log.add_canonical(path, "this key is required")
    else:
        log.add_canonical(
            path, f"invalid value ({type(error).__name__}: {redact_text(str(error))})"
        )
