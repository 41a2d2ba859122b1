"""Live data quality: an item schema, compiled once, and per-batch coverage and errors.

A collection may declare an item schema (``Collection(item_schema=...)``): a
``msgspec.Struct`` type, a pydantic model class or a JSON Schema dict, and the fields that
matter (``quality_fields``; by default every field the schema declares). The data pipeline
checks each batch it has written (``ItemQuality.check``) and reports, on the batch's
``uploading`` event, how many items were checked and invalid, and per field how many
items had it (not null, not ``""``) and how many had a validation error there.

Invalid items are still stored: a scraper should not drop data silently, and the counts
say how much of it is suspect.

Errors are counted per item and top-level field: an item with two errors in ``price``
counts once under ``price``. Errors elsewhere (in a field that is not a quality field, or
about the item as a whole: not an object, a field the schema does not know, a rule over
several fields) count under ``$``, so the counts stay as small as the quality fields.
msgspec stops at an item's first error; pydantic and JSON Schema report all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import msgspec
import msgspec.inspect

from crawlscope.runner.errors import ConfigError

__all__ = [
    "ITEM",
    "MAX_FIELD_NAME",
    "MAX_QUALITY_FIELDS",
    "ItemQuality",
    "QualityCounts",
    "compile_quality",
]

ITEM: Final = "$"
"""The error key of errors outside the quality fields (or about the item as a whole)."""
MAX_QUALITY_FIELDS: Final = 200
"""At most this many quality fields: each is a key of every batch's ``extra.quality``,
which must stay well under the ingest limit of 64 KiB of ``extra`` per event."""
MAX_FIELD_NAME: Final = 100
"""Longest quality field name, in characters (same reason)."""

# An item's error fields, or None when it is valid.
_Check = Callable[[dict[str, Any]], "set[str] | None"]

# msgspec's error texts: "... - at `$.price[0]`", "Object missing required field `price`".
_MSGSPEC_PATH = re.compile(r" - at `\$\.([^.\[`]+)")
_MSGSPEC_FIELD = re.compile(r"Object (?:missing required|contains unknown) field `([^`]*)`")


class QualityCounts(msgspec.Struct, kw_only=True):
    """What one check of some items found (``extra.quality`` of an ``uploading`` event).

    Attributes:
        checked: items checked.
        invalid: items with at least one validation error.
        present: per quality field, items where it is present (not null, not ``""``).
        errors: per quality field (``$``: anywhere else), items with a validation error
            there. Fields without errors are left out.
    """

    checked: int = 0
    invalid: int = 0
    present: dict[str, int] = {}
    errors: dict[str, int] = {}


@dataclass(frozen=True)
class ItemQuality:
    """A compiled item schema and the fields whose coverage is counted.

    Made by ``compile_quality`` when the collection is created; ``check`` is the hot path
    (one call per written batch and producer).
    """

    kind: str
    """``msgspec``, ``pydantic``, ``jsonschema``, or ``none`` (coverage only)."""
    fields: tuple[str, ...]
    """The quality fields, in declared order."""
    validate: _Check | None
    """The compiled validator: an item's fields with errors, or None when it is valid
    (None itself: coverage only, no schema)."""

    @property
    def _known(self) -> frozenset[str]:
        return frozenset(self.fields)

    def check(self, items: Iterable[dict[str, Any]]) -> QualityCounts:
        """Validate ``items`` and count their field coverage."""
        fields = self.fields
        present = [0] * len(fields)
        positions = range(len(fields))
        errors: dict[str, int] = {}
        validate = self.validate
        known = self._known
        checked = invalid = 0
        for item in items:
            checked += 1
            get = item.get
            for i in positions:
                value = get(fields[i])
                # ``!= ""`` only for strings: 0 and False are values, not blanks.
                if value is not None and (value.__class__ is not str or value):
                    present[i] += 1
            if validate is None:
                continue
            bad = validate(item)
            if bad:
                invalid += 1
                for name in bad:
                    key = name if name in known else ITEM
                    errors[key] = errors.get(key, 0) + 1
        return QualityCounts(
            checked=checked,
            invalid=invalid,
            present=dict(zip(fields, present, strict=True)),
            errors=errors,
        )


def compile_quality(
    schema: object, quality_fields: Sequence[str] | None, *, setting: str = "item_schema"
) -> ItemQuality | None:
    """Compile ``schema`` (a Struct type, a pydantic model class, a JSON Schema dict or
    None) with its quality fields; None when neither is given.

    Raises ``ConfigError`` naming ``setting`` (or ``quality_fields``) when the schema is
    not one of those kinds, is not a valid JSON Schema, or a field is not a string.
    """
    if schema is None and quality_fields is None:
        return None
    declared: tuple[str, ...]
    validate: _Check | None
    if schema is None:
        kind, declared, validate = "none", (), None
    elif isinstance(schema, type) and issubclass(schema, msgspec.Struct):
        kind = "msgspec"
        declared, validate = _struct_fields(schema, setting), _msgspec_check(schema)
    elif isinstance(schema, Mapping):
        kind = "jsonschema"
        declared, validate = _json_schema_fields(schema), _json_schema_check(schema, setting)
    elif _is_pydantic_model(schema):
        kind, declared, validate = "pydantic", _pydantic_fields(schema), _pydantic_check(schema)
    else:
        raise ConfigError(
            f"{setting} must be a msgspec.Struct type, a pydantic model class or a JSON "
            f"Schema dict, got {schema!r}"
        )
    return ItemQuality(kind, _quality_fields(quality_fields, declared), validate)


def _quality_fields(given: Sequence[str] | None, declared: Sequence[str]) -> tuple[str, ...]:
    if given is None:
        fields = tuple(declared)
    elif isinstance(given, str) or not all(isinstance(f, str) and f for f in given):
        raise ConfigError(f"quality_fields must be a list of field names, got {given!r}")
    else:
        fields = tuple(dict.fromkeys(given))  # declared order, each once
    if len(fields) > MAX_QUALITY_FIELDS:
        raise ConfigError(
            f"quality_fields: at most {MAX_QUALITY_FIELDS} fields, got {len(fields)}"
            + (" (the schema's fields; name the ones that matter)" if given is None else "")
        )
    for name in fields:
        if len(name) > MAX_FIELD_NAME:
            raise ConfigError(
                f"quality_fields: field names are at most {MAX_FIELD_NAME} characters, "
                f"got {name[:40]!r}..."
            )
    return fields


# -- msgspec ------------------------------------------------------------------------------


def _struct_fields(struct: type[msgspec.Struct], setting: str) -> tuple[str, ...]:
    try:
        # Resolves every annotation now: a type msgspec cannot use would otherwise fail
        # on the first batch, in the pipeline, instead of here.
        msgspec.inspect.type_info(struct)
    except Exception as exc:  # NameError, TypeError: whatever the annotations raise
        raise ConfigError(
            f"{setting}: msgspec cannot use {struct.__name__}: {type(exc).__name__}: {exc}"
        ) from exc
    # Items are plain dicts keyed as encoded, so a renamed field is looked up by that name.
    return struct.__struct_encode_fields__


def _msgspec_check(struct: type[msgspec.Struct]) -> _Check:
    convert = msgspec.convert

    def check(item: dict[str, Any]) -> set[str] | None:
        try:
            convert(item, struct)
        except msgspec.ValidationError as exc:
            return {_msgspec_field(str(exc))}
        return None

    return check


def _msgspec_field(message: str) -> str:
    """The top-level field a msgspec error is about (``$`` if none)."""
    at = _MSGSPEC_PATH.search(message)
    if at is not None:
        return at.group(1)
    if " - at `$" not in message:  # about the item itself: a missing or unknown field
        named = _MSGSPEC_FIELD.search(message)
        if named is not None:
            return named.group(1)
    return ITEM


# -- pydantic -----------------------------------------------------------------------------


def _is_pydantic_model(schema: object) -> bool:
    if not isinstance(schema, type):
        return False
    # Imported here: collections without a pydantic schema never pay for the import.
    from pydantic import BaseModel

    return issubclass(schema, BaseModel)


def _pydantic_fields(model: Any) -> tuple[str, ...]:
    # Validation reads aliases (unless the model also allows names), so items use them.
    return tuple(info.alias or name for name, info in model.model_fields.items())


def _pydantic_check(model: Any) -> _Check:
    from pydantic import TypeAdapter, ValidationError

    # The model's compiled core validator, built once (``model_validate`` does the same).
    validate = TypeAdapter(model).validate_python

    def check(item: dict[str, Any]) -> set[str] | None:
        try:
            validate(item)
        except ValidationError as exc:
            return {
                str(error["loc"][0]) if error["loc"] else ITEM
                for error in exc.errors(include_url=False, include_context=False)
            }
        return None

    return check


# -- JSON Schema --------------------------------------------------------------------------


def _json_schema_fields(schema: Mapping[str, Any]) -> tuple[str, ...]:
    properties = schema.get("properties")
    names = list(properties) if isinstance(properties, Mapping) else []
    required = schema.get("required")
    if isinstance(required, list):
        names.extend(r for r in required if isinstance(r, str))
    return tuple(dict.fromkeys(names))


def _json_schema_check(schema: Mapping[str, Any], setting: str) -> _Check:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    # Draft 2020-12 unless the schema names another draft in ``$schema``.
    cls = validator_for(schema, default=Draft202012Validator)
    try:
        cls.check_schema(dict(schema))
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path)
        raise ConfigError(
            f"{setting} is not a valid JSON Schema: {exc.message}"
            + (f" (at {where})" if where else "")
        ) from exc
    # Formats (date, email, uri, ...) are checked too: for data quality they are the point.
    iter_errors = cls(schema, format_checker=cls.FORMAT_CHECKER).iter_errors

    def check(item: dict[str, Any]) -> set[str] | None:
        fields: set[str] | None = None
        for error in iter_errors(item):
            if fields is None:
                fields = set()
            fields.update(_json_schema_error_fields(error))
        return fields

    return check


def _json_schema_error_fields(error: Any) -> Iterable[str]:
    path = error.absolute_path
    if path:
        return (str(path[0]),)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        # The error is about the object; the fields it names are the missing ones.
        return [f for f in error.validator_value if f not in instance] or [ITEM]
    return (ITEM,)
