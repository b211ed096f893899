"""The model store under attack: corrupt cards, concurrent writers, swapped models, huge files, zip bombs, hostile names."""

import copy
import io
import json
import time
import zipfile

import numpy as np
import pandas as pd
import pytest

from risklens.cli import main
from risklens.cohorts import cohort_from_frame
from risklens.modeling import ModelError, list_models, load_model, save_model, train_model
from risklens.modeling.card import CardError

SMALL = {"n_estimators": 10, "max_depth": 2}


def toy(n=300, seed=0, name="toy"):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y", "z"], n)})
    f["y"] = (rng.random(n) < 1 / (1 + np.exp(-2 * f["a"]))).astype(int)
    return cohort_from_frame(f, "y", name=name)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    model = train_model(toy(), "xgboost", params=SMALL)
    save_model(model, root / "good")
    return root, model


def _with(card, path, value):
    card = copy.deepcopy(card)
    *head, last = path
    node = card
    for k in head:
        node = node[k]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return card


def _deep(levels):
    node = 1
    for _ in range(levels):
        node = {"x": node}
    return node


CORRUPTIONS = [  # (path in card, bad value, field named in the message)
    (("features",), "a,b", "'features'"),
    (("features", 1), 7, "features[1]"),
    (("features",), [], "'features'"),
    (("family",), "random-forest", "'family'"),
    (("family",), KeyError, "'family' is missing"),
    (("sha256",), KeyError, "'sha256' is missing"),
    (("sha256",), 12, "'sha256'"),
    (("model_file",), ["model.ubj"], "'model_file'"),
    (("threshold",), "0.3", "'threshold'"),
    (("threshold",), 7.5, "'threshold'"),
    (("seed",), "zero", "'seed'"),
    (("seed",), True, "'seed'"),
    (("n_train",), 1.5, "'n_train'"),
    (("converged",), "yes", "'converged'"),
    (("metrics",), [0.7], "'metrics'"),
    (("metrics", "auroc"), "high", "metrics.auroc"),
    (("versions", "xgboost"), 3, "versions.xgboost"),
    (("params", "max_depth"), {"deep": 1}, "params.max_depth"),
    (("params",), _deep(200), "nested deeper"),
    (("input_contract", "columns"), "all", "input_contract.columns"),
    (("input_contract", "columns", 0, "kind"), "text", "input_contract.columns[0]"),
    (("input_contract", "columns", 2, "outputs"), ["c_x"], "does not produce the card's 'features'"),
]


@pytest.mark.parametrize("path, value, named", CORRUPTIONS, ids=[f"{'.'.join(map(str, p))}" for p, _, _ in CORRUPTIONS])
def test_corrupt_card_is_refused_naming_the_field_everywhere(saved, tmp_path, capsys, path, value, named):
    import shutil

    root, _ = saved
    store = tmp_path / "models"
    shutil.copytree(root / "good", store / "good")
    shutil.copytree(root / "good", store / "bad")
    card = json.loads((store / "bad" / "card.json").read_text())
    (store / "bad" / "card.json").write_text(json.dumps(_with(card, path, value)))
    with pytest.raises(CardError) as info:
        load_model(store / "bad")
    msg = str(info.value)
    assert named in msg and "\n" not in msg
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in list_models(store)}
    assert rows["good"]["family"] == "xgboost" and rows["bad"]["family"] == "invalid" and named in rows["bad"]["error"]
    assert main(["models", "--root", str(store)]) == 0
    out = capsys.readouterr()
    assert "toy-xgboost-seed0" in out.out and named in out.err
    code = main(["explain", "--model", str(store / "bad"), "--data", str(tmp_path / "x.csv"), "--method", "shap",
                 "--out", str(tmp_path / "e.csv")])
    err = capsys.readouterr().err
    assert code == 2 and named in err and len(err.strip().splitlines()) == 1


def test_invalid_json_and_recursion_bomb_cards(saved, tmp_path):
    import shutil

    root, _ = saved
    shutil.copytree(root / "good", tmp_path / "m")
    for text, msg in [("{not json", "not valid JSON"), ("[" * 100_000 + "]" * 100_000, "nested"),
                      ('["a list"]', "must be a JSON object")]:
        (tmp_path / "m" / "card.json").write_text(text)
        with pytest.raises(CardError, match=msg):
            load_model(tmp_path / "m")


_CHILD = """
import sys
import numpy as np, pandas as pd
from risklens.cohorts import cohort_from_frame
from risklens.modeling import ModelError, load_model, save_model, train_model
role, target, rounds, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if role == "write":
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "c": rng.choice(["x", "y", "z"], 300)})
    f["y"] = (rng.random(300) < 1 / (1 + np.exp(-2 * f["a"]))).astype(int)
    model = train_model(cohort_from_frame(f, "y", name="toy"), "xgboost", seed=seed,
                        params={"n_estimators": 10, "max_depth": 2})
    print("ready", flush=True)
    for _ in range(rounds):
        save_model(model, target)
else:
    print("ready", flush=True)
    bad = 0
    for _ in range(rounds):
        try:
            load_model(target)
        except ModelError as exc:
            bad += 1
            print(exc, file=sys.stderr)
    print(bad)
"""


@pytest.mark.slow
def test_concurrent_save_model_never_tears_a_model(tmp_path):
    """Two processes save different models into one directory 100 times each while a third loads it 200 times."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    target = tmp_path / "shared"
    save_model(train_model(toy(), "xgboost", params=SMALL), target)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    jobs = [("write", 100, 1), ("write", 100, 2), ("read", 200, 0)]
    procs = [subprocess.Popen([sys.executable, "-c", _CHILD, role, str(target), str(n), str(seed)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for role, n, seed in jobs]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1][-500:] for o in outs]
    assert outs[2][0].split()[-1] == "0", outs[2][1][-500:]  # the reader never saw a torn model
    model = load_model(target)  # the last writer's model, whole
    assert model.model_id == json.loads((target / "card.json").read_text())["model_id"]
    assert not [p for p in target.iterdir() if p.name.endswith(".tmp")]


def test_swapped_model_with_rewritten_card_is_refused_by_pin(saved, tmp_path, monkeypatch, capsys):
    import hashlib
    import shutil

    root, model = saved
    home = tmp_path / "home"
    shutil.copytree(root / "good", home / "models" / "ward")
    other = train_model(toy(seed=5), "xgboost", seed=5, params=SMALL)
    save_model(other, tmp_path / "other")
    # the attacker copies another model file in and rewrites the card's hash to match
    shutil.copy(tmp_path / "other" / "model.ubj", home / "models" / "ward" / "model.ubj")
    card = json.loads((home / "models" / "ward" / "card.json").read_text())
    card["sha256"] = hashlib.sha256((home / "models" / "ward" / "model.ubj").read_bytes()).hexdigest()
    (home / "models" / "ward" / "card.json").write_text(json.dumps(card))
    swapped_id = load_model(home / "models" / "ward").model_id
    assert swapped_id != model.model_id  # unpinned it loads, under a new id
    with pytest.raises(ModelError, match=f"not the expected {model.model_id}"):
        load_model(home / "models" / "ward", expect_model_id=model.model_id)
    monkeypatch.setenv("RISKLENS_HOME", str(home))
    (home / "pinned_models.json").write_text(json.dumps({"ward": model.model_id}))
    with pytest.raises(ModelError, match=f"pinned-model list expects {model.model_id}"):
        load_model(home / "models" / "ward")
    code = main(["explain", "--model", str(home / "models" / "ward"), "--data", "x.csv", "--method", "shap",
                 "--out", str(tmp_path / "e.csv")])
    assert code == 2 and "pinned-model list" in capsys.readouterr().err
    (home / "pinned_models.json").write_text(json.dumps({"ward": swapped_id}))  # pinning what is there
    assert load_model(home / "models" / "ward", expect_model_id=None).family == "xgboost"


def test_huge_model_file_is_refused_without_reading_it(saved, tmp_path):
    import resource
    import shutil

    root, _ = saved
    shutil.copytree(root / "good", tmp_path / "m")
    with open(tmp_path / "m" / "model.ubj", "r+b") as fh:
        fh.truncate(2 * 1024**3)  # sparse: 2 GB on paper, nothing on disk
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with pytest.raises(ModelError, match="over the 512 MB limit"):
        load_model(tmp_path / "m")
    assert time.perf_counter() - t0 < 1.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB: nothing was read


def test_skops_zip_bomb_is_refused_from_the_zip_directory(tmp_path, monkeypatch):
    from risklens.modeling.imported import read_model_file

    monkeypatch.setenv("RISKLENS_MAX_MODEL_MB", "4")  # 8 MB unpacked limit
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("schema.json", "{}")
        z.writestr("000000.npy", b"\0" * (64 * 1024 * 1024))
    data = buf.getvalue()
    assert len(data) < 200_000
    t0 = time.perf_counter()
    with pytest.raises(ModelError, match="would unpack to 64 MB"):
        read_model_file(data, "bomb.skops")
    assert time.perf_counter() - t0 < 0.5


def test_hostile_upload_name_trains_inside_the_store(tmp_path):
    from risklens.modeling.catalog import model_dir_for
    from risklens.safety import inside

    cohort = toy(name="../../../../srv/other/evil")
    root = tmp_path / "models"
    path = model_dir_for(root, cohort, "xgboost", 0)
    assert path.parent == root.resolve() and path.name.startswith("srv-other-evil-")
    save_model(train_model(cohort, "xgboost", params=SMALL), path)
    assert inside(root, path.name) == path and not (tmp_path.parent / "srv").exists()
