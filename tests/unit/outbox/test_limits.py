"""The pure checks behind emit()'s limits."""
from outbox.limits import id_problem, nul_paths


def test_nul_paths_name_every_string_and_key_with_a_nul():
    data = {"a": "x\x00", "b": [{"c": "ok"}, {"d": ["\x00"]}], "e\x00": 1, "f": 3, "g": None}
    assert nul_paths(data) == ["a", "b.1.d.0", "e\x00"]
    assert nul_paths("\x00") == ["(data)"] and nul_paths({"a": "no nul"}) == []


def test_nul_paths_survive_cycles_and_depth():
    cyclic = {"a": []}
    cyclic["a"].append(cyclic)
    assert nul_paths(cyclic) == []
    deep = "\x00"
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = [deep]
    assert nul_paths({"x": deep}) == ["x" + ".0" * 5000]


def test_id_problems():
    assert id_problem("ORD-1") is None and id_problem("Wanjirũ") is None
    assert id_problem("") == "is empty"
    assert "255" in id_problem("k" * 256) and "NUL" in id_problem("a\x00") and "surrogate" in id_problem("\ud83c")
