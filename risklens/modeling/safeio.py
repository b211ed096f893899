"""Reading model files someone handed us: size checks first, then an explicit allow-list of types.

- :func:`read_model_bytes` refuses a file larger than :func:`max_model_bytes` from its size on disk,
  before reading a byte, and refuses pickle/joblib files by suffix and by their first byte.
- :func:`check_skops` reads a skops archive's zip directory first: the sum of the uncompressed sizes
  must stay under :func:`max_unpacked_bytes` (a zip bomb is refused without inflating it); then every
  type named in its ``schema.json`` must be on the allow-list: :data:`RISKLENS_TYPES` for pipelines
  RiskLens trained, :data:`IMPORT_TYPES` for imported scikit-learn models. skops' own notion of
  "trusted" is not enough: it accepts e.g. a ``FunctionTransformer`` wrapping any numpy function.
- :func:`canonical_skops` rewrites an archive deterministically (fixed member names, ids and times).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

from risklens.modeling.model import ModelError

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".dill", ".sav")
DEFAULT_MAX_MODEL_MB = 512
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)

_BASE_TYPES = frozenset({
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.str", "builtins.int", "builtins.float",
    "builtins.bool", "builtins.NoneType",
    "numpy.ndarray", "numpy.dtype", "numpy.float64", "numpy.float32", "numpy.int64", "numpy.int32", "numpy.bool_",
    "numpy.random.mtrand.RandomState", "numpy.random._mt19937.MT19937",
})
#: Every type a pipeline saved by RiskLens may contain.
RISKLENS_TYPES = _BASE_TYPES | frozenset({
    "sklearn.pipeline.Pipeline",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._label.LabelBinarizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
})
#: Every type an imported scikit-learn estimator or pipeline may contain: numeric preprocessing and
#: probabilistic classifiers (linear, trees, forests, gradient boosting, MLP). Nothing that runs code.
IMPORT_TYPES = RISKLENS_TYPES | frozenset({
    "sklearn.preprocessing._data.MinMaxScaler", "sklearn.preprocessing._data.RobustScaler",
    "sklearn.preprocessing._data.MaxAbsScaler",
    "sklearn.tree._classes.DecisionTreeClassifier", "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier", "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._forest.RandomForestClassifier", "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._gb.GradientBoostingClassifier", "sklearn.dummy.DummyClassifier",
    "sklearn._loss.loss.HalfBinomialLoss", "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss.link.LogitLink", "sklearn._loss.link.Interval",
})


def max_model_bytes() -> int:
    """Largest model file read: $RISKLENS_MAX_MODEL_MB megabytes (default 512)."""
    try:
        mb = float(os.environ.get("RISKLENS_MAX_MODEL_MB", "") or DEFAULT_MAX_MODEL_MB)
    except ValueError:
        mb = DEFAULT_MAX_MODEL_MB
    return int(mb * 1024 * 1024)


def max_unpacked_bytes() -> int:
    """Largest total uncompressed size of a skops archive: twice :func:`max_model_bytes`."""
    return 2 * max_model_bytes()


def looks_like_pickle(path: Path, head: bytes) -> bool:
    return Path(path).suffix.lower() in PICKLE_SUFFIXES or head[:1] == b"\x80"


def check_size(size: int, label: str) -> None:
    limit = max_model_bytes()
    if size > limit:
        raise ModelError(f"{label} is {size / 2**20:,.0f} MB, over the {limit / 2**20:,.0f} MB limit for a model "
                         "file (RISKLENS_MAX_MODEL_MB); refusing to read it")


def read_model_bytes(path: Path) -> bytes:
    """The bytes of a model file, after the size and pickle checks (nothing read when they fail)."""
    path = Path(path)
    check_size(path.stat().st_size, str(path))
    with open(path, "rb") as fh:
        head = fh.read(2)
        if looks_like_pickle(path, head):
            raise ModelError(f"{path} is a pickle/joblib file; RiskLens never unpickles models")
        return head + fh.read()


def _schema_types(node, out: set) -> None:
    if isinstance(node, dict):
        mod, cls = node.get("__module__"), node.get("__class__")
        if isinstance(mod, str) and isinstance(cls, str):
            out.add(f"{mod}.{cls}")
        for v in node.values():
            _schema_types(v, out)
    elif isinstance(node, list):
        for v in node:
            _schema_types(v, out)


def check_skops(data: bytes, label: str, allowed: frozenset = RISKLENS_TYPES) -> list[str]:
    """Size-check and allow-list a skops archive; returns the types to pass to ``skops.io.loads``."""
    check_size(len(data), label)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ModelError(f"{label} is not a valid skops file ({exc})") from None
    unpacked = sum(i.file_size for i in infos)
    if unpacked > max_unpacked_bytes():
        raise ModelError(f"{label} would unpack to {unpacked / 2**20:,.0f} MB (over "
                         f"{max_unpacked_bytes() / 2**20:,.0f} MB); refusing to open it")
    if "schema.json" not in {i.filename for i in infos}:
        raise ModelError(f"{label} is not a valid skops file (no schema.json)")
    try:
        schema = json.loads(archive.read("schema.json"))
    except (ValueError, RecursionError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{label} is not a valid skops file ({str(exc).splitlines()[0][:80]})") from None
    named: set[str] = set()
    _schema_types(schema, named)
    unknown = sorted(named - allowed)
    if unknown:
        raise ModelError(f"{label} contains types RiskLens does not trust: {', '.join(unknown[:5])}; refusing to load")
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # noqa: BLE001 - skops raises many types on damaged archives
        raise ModelError(f"{label} is not a valid skops file: {exc}".splitlines()[0]) from None
    unknown = sorted(set(untrusted) - allowed)
    if unknown:
        raise ModelError(f"{label} contains types RiskLens does not trust: {', '.join(unknown[:5])}; refusing to load")
    return list(untrusted)


def load_skops(data: bytes, label: str, allowed: frozenset = RISKLENS_TYPES):
    """A skops archive's object after :func:`check_skops`."""
    trusted = check_skops(data, label, allowed)
    import skops.io as sio  # imported only once the archive passed the checks
    try:
        return sio.loads(data, trusted=trusted)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{label} could not be loaded: {exc}".splitlines()[0]) from None


def canonical_skops(data: bytes) -> bytes:
    """Rewrite a skops zip with deterministic member names, object ids and timestamps."""
    src = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(src.read("schema.json"))
    ids: dict[int, int] = {}
    files: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    node[key] = ids.setdefault(value, len(ids) + 1)
                elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
                    node[key] = files.setdefault(value, f"{len(files):06d}.npy")
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for old, new in sorted(files.items(), key=lambda kv: kv[1]):
            info = zipfile.ZipInfo(new, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(old))
        info = zipfile.ZipInfo("schema.json", date_time=_FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        dst.writestr(info, json.dumps(schema, indent=2))
    return out.getvalue()
