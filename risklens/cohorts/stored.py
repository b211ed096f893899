"""Uploaded cohorts kept in the RiskLens home, so a reload or a shared link brings them back.

Layout under the root (``risklens.settings.uploads_root()``)::

    <owner folder>/<upload id>/table.parquet       the table as uploaded (before mapping)
    <owner folder>/<upload id>/dictionary.parquet  the feature dictionary in use
    <owner folder>/<upload id>/upload.json         file name, cohort name, column mapping, size, time

The owner folder is a slug of the user's identity plus a hash of it (two identities never share one);
the upload id is the first 16 hex digits of the cohort's content hash. Neither the file name nor any
other user text is ever part of a path: an id from a link must match ``UPLOAD_ID`` and is looked up
in the asking user's folder only. Every file is written atomically (:mod:`risklens.safety`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from risklens.errors import RiskLensError
from risklens.safety import atomic_path, atomic_write_text, inside, safe_slug

UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")
MAPPING_KEYS = ("outcome", "id_col", "trigger_col", "group_col", "drop", "time_col")


class UploadNotFound(RiskLensError):
    """No stored upload with this id for this user (the message never names a path)."""


@dataclass(frozen=True)
class StoredUpload:
    id: str
    name: str  # the cohort's name (from the file name)
    filename: str  # as the browser sent it; shown as text only
    rows: int
    features: int
    created: str  # ISO time, UTC
    mapping: dict = field(default_factory=dict)  # cohort_from_upload keyword arguments (MAPPING_KEYS)
    data_hash: str = ""


def upload_id(cohort_hash: str) -> str:
    return str(cohort_hash)[:16]


def owner_folder(owner: str) -> str:
    """A folder name for ``owner``: readable slug + hash, so 'a.b@x' and 'a-b@x' never share a folder."""
    digest = hashlib.sha256(str(owner).encode("utf-8")).hexdigest()[:12]
    return f"{safe_slug(owner, default='user', max_len=40)}-{digest}"


def _frame_for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names as text; object columns that mix types become text (missing stays missing)."""
    out = frame.copy()
    out.columns = [str(c) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object:
            kinds = {type(v) for v in out[col].dropna()}
            if len(kinds) > 1:
                out[col] = out[col].map(lambda v: v if pd.isna(v) else str(v))
    return out


class UploadStore:
    """Save, list, load and delete uploaded tables, per owner."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _folder(self, owner: str) -> Path:
        return inside(self.root, owner_folder(owner))

    def _entry(self, owner: str, uid: str) -> Path:
        if not isinstance(uid, str) or not UPLOAD_ID.match(uid):
            raise UploadNotFound("no uploaded cohort with this id is stored for you")
        path = inside(self._folder(owner), uid)
        if not (path / "upload.json").is_file():
            raise UploadNotFound("no uploaded cohort with this id is stored for you")
        return path

    def save(self, frame: pd.DataFrame, filename: str, cohort, mapping: dict, owner: str) -> StoredUpload:
        """Keep the uploaded ``frame`` and what turned it into ``cohort`` (mapping, dictionary)."""
        uid = upload_id(cohort.hash)
        folder = inside(self._folder(owner), uid)
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / "table.parquet") as tmp:
            _frame_for_parquet(frame).to_parquet(tmp, index=False)
        with atomic_path(folder / "dictionary.parquet") as tmp:
            cohort.dictionary.to_frame().to_parquet(tmp, index=False)
        entry = StoredUpload(id=uid, name=str(cohort.name), filename=str(filename), rows=int(cohort.n),
                             features=len(cohort.features), created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                             mapping={k: mapping.get(k) for k in MAPPING_KEYS}, data_hash=cohort.hash)
        atomic_write_text(folder / "upload.json", json.dumps(asdict(entry), indent=1))
        return entry

    def entries(self, owner: str) -> list[StoredUpload]:
        """The owner's stored uploads, newest first (unreadable entries are skipped)."""
        folder = self._folder(owner)
        out = []
        for meta in folder.glob("*/upload.json") if folder.is_dir() else []:
            if not UPLOAD_ID.match(meta.parent.name):
                continue
            try:
                out.append(StoredUpload(**json.loads(meta.read_text(encoding="utf-8"))))
            except (OSError, ValueError, TypeError):
                continue
        return sorted(out, key=lambda e: e.created, reverse=True)

    def entry(self, uid: str, owner: str) -> StoredUpload:
        return StoredUpload(**json.loads((self._entry(owner, uid) / "upload.json").read_text(encoding="utf-8")))

    def load(self, uid: str, owner: str):
        """(cohort, entry): the stored table rebuilt with its mapping and dictionary."""
        from risklens.cohorts.dictionary import FeatureDictionary
        from risklens.cohorts.upload import cohort_from_upload

        folder = self._entry(owner, uid)
        entry = self.entry(uid, owner)
        frame = pd.read_parquet(folder / "table.parquet")
        dictionary = FeatureDictionary.from_frame(pd.read_parquet(folder / "dictionary.parquet"))
        mapping = dict(entry.mapping)
        mapping["drop"] = tuple(mapping.get("drop") or ())  # uploads kept before columns could be left out
        cohort = cohort_from_upload(frame, name=entry.name, dictionary=dictionary, **mapping)
        return cohort, entry

    def delete(self, uid: str, owner: str) -> StoredUpload:
        folder = self._entry(owner, uid)
        entry = self.entry(uid, owner)
        trash = folder.with_name(f".{uid}.deleted")  # one rename, then remove: never a half-deleted entry
        shutil.rmtree(trash, ignore_errors=True)
        folder.rename(trash)
        shutil.rmtree(trash, ignore_errors=True)
        return entry
