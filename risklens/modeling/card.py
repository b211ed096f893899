"""The model card's schema, its validation, and the model id (a content hash).

:func:`validate_card` checks a parsed ``card.json`` field by field and raises :class:`CardError`
with one line naming the first bad field (``features[3]``, ``metrics.auroc``, ``params``...).

**What the model id protects.** ``model_id`` is the first 12 hex digits of :func:`content_hash`:
SHA-256 over the model file's SHA-256, the family, the feature list, the input contract and the
alert threshold. Changing any of them (a swapped model file, a different encoding of a category, a
moved threshold) changes the id, so a pinned id (``--expect-model-id``, or the pinned list of
:func:`risklens.settings.pinned_models`) refuses a model directory that was swapped even when its
card was rewritten to match. It does **not** protect the descriptive fields (name, metrics, created,
versions, provenance): someone who can write the directory can change those without changing the id;
and the id alone is no signature: without a pin, a consistent rewrite of file and card loads fine.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from risklens.families import ALL_FAMILIES
from risklens.modeling.model import ModelError

MAX_DEPTH = 6
MAX_CARD_BYTES = 4 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class CardError(ModelError):
    """A card.json that does not follow the schema; the message names the field."""


def _text(v):
    return isinstance(v, str)


def _int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and (not isinstance(v, float) or math.isfinite(v))


def _number_or_null(v):
    return v is None or _number(v)


def _int_or_null(v):
    return v is None or _int(v)


def _scalar(v):
    return v is None or isinstance(v, (str, bool)) or _number(v)


#: field -> (required, check, what it must be)
SCHEMA: dict[str, tuple[bool, object, str]] = {
    "family": (True, lambda v: v in ALL_FAMILIES, f"one of {', '.join(ALL_FAMILIES)}"),
    "features": (True, None, "a non-empty list of distinct text names"),
    "model_file": (True, _text, "text"),
    "sha256": (True, lambda v: _text(v) and bool(_HEX64.match(v)), "64 lower-case hex digits"),
    "card_version": (False, _int, "an integer"),
    "name": (False, _text, "text"), "label": (False, _text, "text"), "cohort": (False, _text, "text"),
    "outcome": (False, _text, "text"), "data_hash": (False, _text, "text"), "created": (False, _text, "text"),
    "threshold_rule": (False, _text, "text"), "calibration": (False, _text, "text"),
    "model_id": (False, _text, "text"), "content_hash": (False, _text, "text"),
    "n_rows": (False, _int, "an integer"), "n_train": (False, _int, "an integer"),
    "n_test": (False, _int, "an integer"), "seed": (False, _int, "an integer"),
    "split_seed": (False, _int, "an integer"), "n_iter": (False, _int_or_null, "an integer or null"),
    "train_event_rate": (False, _number, "a number"), "test_size": (False, _number, "a number"),
    "train_seconds": (False, _number, "a number"),
    "threshold": (False, lambda v: _number(v) and 0 <= v <= 1, "a number between 0 and 1"),
    "converged": (False, lambda v: isinstance(v, bool), "true or false"),
    "metrics": (False, None, "an object of numbers (or null)"),
    "params": (False, None, "an object of numbers, text, true/false or lists of those"),
    "versions": (False, None, "an object of text"),
    "provenance": (False, None, "an object of text, numbers or true/false"),
    "input_contract": (False, None, "an input contract object"),
}


def _depth(obj, limit: int, level: int = 0) -> int:
    if level > limit:
        return level
    if isinstance(obj, dict):
        return max([_depth(v, limit, level + 1) for v in obj.values()] or [level])
    if isinstance(obj, list):
        return max([_depth(v, limit, level + 1) for v in obj] or [level])
    return level


def _mapping(card: dict, key: str, check, what: str) -> None:
    value = card[key]
    if not isinstance(value, dict):
        raise CardError(f"field {key!r} must be {what}, not {type(value).__name__}")
    for k, v in value.items():
        if not check(v):
            raise CardError(f"field '{key}.{k}' must be {_what_item(what)}, not {_shown(v)}")


def _what_item(what: str) -> str:
    return what.replace("an object of ", "").replace("numbers", "a number").replace("text", "text")


def _shown(v) -> str:
    return type(v).__name__ if isinstance(v, (dict, list)) else repr(v)[:40]


def _check_features(value) -> None:
    if not isinstance(value, list) or not value:
        raise CardError(f"field 'features' must be a non-empty list of text names, not {_shown(value)}")
    for i, f in enumerate(value):
        if not isinstance(f, str) or not f:
            raise CardError(f"field 'features[{i}]' must be a non-empty text name, not {_shown(f)}")
    if len(set(value)) != len(value):
        raise CardError("field 'features' names a feature twice")


def _check_params(value) -> None:
    if not isinstance(value, dict):
        raise CardError(f"field 'params' must be an object, not {_shown(value)}")
    for k, v in value.items():
        ok = _scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v))
        if not ok:
            raise CardError(f"field 'params.{k}' must be a number, text, true/false or a list of those")


def validate_card(card) -> dict:
    """Return ``card`` if it follows :data:`SCHEMA`, else raise :class:`CardError` naming the field."""
    if not isinstance(card, dict):
        raise CardError(f"the card must be a JSON object, not {type(card).__name__}")
    if _depth(card, MAX_DEPTH) > MAX_DEPTH:
        raise CardError(f"the card is nested deeper than {MAX_DEPTH} levels; it is not a RiskLens card")
    for key, (required, check, what) in SCHEMA.items():
        if key not in card:
            if required:
                raise CardError(f"field {key!r} is missing; re-save or re-import the model with RiskLens")
            continue
        if check is not None and not check(card[key]):
            raise CardError(f"field {key!r} must be {what}, not {_shown(card[key])}")
    _check_features(card["features"])
    if "metrics" in card:
        _mapping(card, "metrics", _number_or_null, "an object of numbers")
    if "versions" in card:
        _mapping(card, "versions", _text, "an object of text")
    if "provenance" in card:
        _mapping(card, "provenance", _scalar, "an object of text")
    if "params" in card:
        _check_params(card["params"])
    if card.get("input_contract") is not None:
        from risklens.modeling.contract import ContractError, InputContract

        try:
            contract = InputContract.from_json(card["input_contract"])
        except ContractError as exc:
            raise CardError(f"field {exc}") from None
        if sorted(contract.outputs) != sorted(card["features"]):
            raise CardError("field 'input_contract' does not produce the card's 'features'")
    return card


def parse_card(text: bytes | str, where: str) -> dict:
    """``card.json`` bytes -> validated dict; CardError (one line) on bad JSON, deep nesting or bad fields."""
    if len(text) > MAX_CARD_BYTES:
        raise CardError(f"{where} is {len(text):,} bytes; a model card is a few kilobytes")
    try:
        card = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CardError(f"{where} is not valid JSON ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise CardError(f"{where} is nested too deeply to be a model card") from None
    try:
        return validate_card(card)
    except CardError as exc:
        raise CardError(f"{where}: {exc}") from None


def content_hash(file_sha256: str, family: str, features: list[str], contract: dict | None,
                 threshold: float | None) -> str:
    """SHA-256 of what the model computes: file, family, features, input contract and threshold."""
    payload = {"sha256": file_sha256, "family": family, "features": list(features), "input_contract": contract,
               "threshold": None if threshold is None else float(threshold)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def card_model_id(card: dict) -> str:
    """The model id of a (validated) card, recomputed from its fields: 12 hex digits."""
    return content_hash(card["sha256"], card["family"], card["features"], card.get("input_contract"),
                        card.get("threshold"))[:12]
