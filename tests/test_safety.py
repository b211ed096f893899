import os
import re
import threading

import pandas as pd
import pytest

from risklens.safety import UnsafePathError, atomic_write_text, csv_safe, inside, md_escape, safe_slug


@pytest.mark.parametrize("name, slug", [
    ("../../../../srv/other/evil.csv", "srv-other-evil.csv"), ("Ward A.csv", "ward-a.csv"), ("..", "item"),
    ("", "item"), ("/etc/passwd", "etc-passwd"), ("a\x00b", "a-b"), ("ÄÖ", "item"),
])
def test_safe_slug(name, slug):
    assert safe_slug(name) == slug


def test_inside_refuses_escape(tmp_path):
    assert inside(tmp_path, "a", "b.json") == (tmp_path / "a" / "b.json").resolve()
    with pytest.raises(UnsafePathError):
        inside(tmp_path, "..", "x")
    with pytest.raises(UnsafePathError):
        inside(tmp_path, "/etc/passwd")


def test_md_escape_makes_links_and_images_inert():
    for hostile in ("[Click](https://evil.example/login)", "![t](https://evil.example/t.png)", "<script>x</script>"):
        out = md_escape(hostile)
        assert re.search(r"(?<!\\)[<>\[\]()!]", out) is None, out


def test_csv_safe_neutralises_formulas_and_keeps_numbers():
    f = pd.DataFrame({"=cmd": ["=1+1", "+a", "-b", "@c", "ok"], "v": [-1.5, 2, 3, 4, 5]})
    out = csv_safe(f)
    assert list(out["'=cmd"]) == ["'=1+1", "'+a", "'-b", "'@c", "ok"]
    assert list(out["v"]) == [-1.5, 2, 3, 4, 5]


def test_atomic_write_never_tears_under_concurrent_writers(tmp_path):
    target = tmp_path / "out.txt"
    texts = [str(i) * 200_000 for i in range(8)]
    seen = []

    def write(t):
        for _ in range(5):
            atomic_write_text(target, t)

    def read():
        for _ in range(200):
            if target.exists():
                seen.append(target.read_text())

    threads = [threading.Thread(target=write, args=(t,)) for t in texts] + [threading.Thread(target=read)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert target.read_text() in texts
    assert all(s in texts for s in seen)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
