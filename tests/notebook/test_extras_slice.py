"""compute_slice: which earlier cells a tracked cell depends on, and the non-linear flag."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jupyter_mltrack.notebook.slice import cell_names, compute_slice


def _counts(text: str) -> list[int]:
    return [int(line[5:-1]) for line in text.splitlines() if line.startswith("# In[")]


@pytest.mark.parametrize(
    ("source", "uses", "defs"),
    [
        ("x = 1", set(), {"x"}),
        ("y = x + 1", {"x"}, {"y"}),
        ("x = 1\nprint(x)", {"print"}, {"x"}),
        ("x = x + 1", {"x"}, {"x"}),
        ("x += 1", {"x"}, {"x"}),
        ("import numpy as np", set(), {"np"}),
        ("import os.path", set(), {"os"}),
        ("from a.b import c, d as e", set(), {"c", "e"}),
        ("from a import *", set(), set()),
        ("a, (b, *c) = f()", {"f"}, {"a", "b", "c"}),
        ("for i in xs:\n    total += i", {"xs", "total"}, {"i", "total"}),
        (
            "with open(p) as fh, g() as (u, v):\n    data = fh.read()",
            {"open", "p", "g"},
            {"fh", "u", "v", "data"},
        ),
        ("def f(a, *args, b=d, **kw):\n    return a + g + args + kw", {"d", "g"}, {"f"}),
        ("def f():\n    return g()\ndef g():\n    return 1", set(), {"f", "g"}),
        (
            "class C(Base):\n    attr = k\n    def m(self):\n        return attr2",
            {"Base", "k", "attr2"},
            {"C"},
        ),
        ("[i * n for i in range(m) if i > lo]", {"n", "range", "m", "lo"}, set()),
        ("{k: v for k, v in d.items()}", {"d"}, set()),
        ("f = lambda q: q + z", {"z"}, {"f"}),
        ("if (n := len(xs)) > 1:\n    pass", {"len", "xs"}, {"n"}),
        (
            "try:\n    pass\nexcept ValueError as err:\n    msg = str(err)",
            {"ValueError", "str"},
            {"err", "msg"},
        ),
        ("df['a'] = 0", {"df"}, {"df"}),
        ("model.coef_ = w", {"model", "w"}, {"model"}),
        ("def f():\n    global counter\n    counter = 1", set(), {"f", "counter"}),
        ("x: int = y", {"int", "y"}, {"x"}),
        (
            "match p:\n    case [a, *rest]:\n        b = a\n    case {'k': v, **others}:\n"
            "        pass",
            {"p"},
            {"a", "rest", "b", "v", "others"},
        ),
        ("%matplotlib inline\nx = 1", set(), {"x"}),
        ("files = !ls\n!pip install x\nobj?", set(), {"files"}),
        ("%%track --name a\nlr = base_lr", {"base_lr"}, {"lr"}),
        ("this is not python (", set(), set()),
    ],
)
def test_cell_names(source: str, uses: set[str], defs: set[str]) -> None:
    names = cell_names(source)
    assert names.uses == uses
    assert names.defs == defs


@pytest.mark.parametrize(
    ("history", "cell", "counts", "non_linear"),
    [
        ([], "print(1)", [], False),
        ([(1, "a = 1"), (2, "b = 2")], "print(a)", [1], False),
        ([(1, "a = 1"), (2, "b = a + 1"), (3, "c = 3")], "print(b)", [1, 2], False),
        # the latest binding wins
        ([(1, "a = 1"), (2, "a = 2")], "print(a)", [2], False),
        # a cell binding before reading does not depend on the earlier binding
        ([(1, "a = 1")], "a = 5\nprint(a)", [], False),
        # incremental updates are a chain, not staleness
        ([(1, "x = 0"), (2, "x = x + 1"), (3, "x = x + 1")], "print(x)", [1, 2, 3], False),
        # functions read globals at call time
        ([(1, "k = 3"), (2, "def f():\n    return k"), (3, "z = 0")], "f()", [1, 2], False),
        # mutation cells are part of the slice
        ([(1, "df = load()"), (2, "df['a'] = 0"), (3, "other = 1")], "df.mean()", [1, 2], False),
        # imports
        ([(1, "import numpy as np"), (2, "x = np.ones(3)")], "x.sum()", [1, 2], False),
        # upstream edited and re-run, downstream not: stale
        ([(1, "x = 1"), (2, "y = x * 2"), (3, "x = 5")], "print(y)", [1, 2], True),
        ([(1, "x = 1"), (2, "y = x * 2"), (3, "x = 5")], "print(x, y)", [1, 2, 3], True),
        # re-running the same source is not a change
        ([(1, "x = 1"), (2, "y = x * 2"), (3, "x = 1")], "print(y)", [1, 2], False),
        # re-binding a name the slice does not read is irrelevant
        ([(1, "x = 1"), (2, "y = x * 2"), (3, "w = 5")], "print(y)", [1, 2], False),
        # history listed out of execution order (notebook order with counts)
        ([(3, "x = 1"), (2, "y = 2")], "print(x, y)", [2, 3], True),
        ([(3, "x = 1"), (2, "y = 2")], "print(y)", [2], False),
        ([(5, "a = 1"), (7, "b = a")], "print(b)", [5, 7], False),
        # builtins and unknown names are ignored; shadowed builtins are real dependencies
        ([(1, "z = 1")], "print(len([1]))", [], False),
        ([(1, "len = lambda s: 0")], "print(len([1]))", [1], False),
        # magics in history do not break parsing
        (
            [(1, "%matplotlib inline\nimport pandas as pd"), (2, "!ls")],
            "pd.DataFrame()",
            [1],
            False,
        ),
    ],
)
def test_compute_slice(
    history: list[tuple[int, str]], cell: str, counts: list[int], non_linear: bool
) -> None:
    text, flag = compute_slice(history, cell)
    assert _counts(text) == counts
    assert flag is non_linear


def test_slice_text_has_headers_and_sources_in_execution_order() -> None:
    text, _ = compute_slice([(1, "a = 1\n\n"), (2, "b = a + 1")], "%%track\nprint(b)")
    assert text == "# In[1]\na = 1\n\n# In[2]\nb = a + 1\n\n"
    compile(text, "slice.py", "exec")


def test_transitive_dependency_is_resolved_before_the_reader() -> None:
    # cell 2 read ``a`` from cell 1, even though cell 3 re-bound ``a`` later (by incrementing)
    history = [(1, "a = 1"), (2, "b = a"), (3, "a = a + 1")]
    text, flag = compute_slice(history, "print(b)")
    assert _counts(text) == [1, 2]
    assert flag is False


def test_long_history_is_fast_enough_to_be_linear() -> None:
    history = [(i, f"v{i} = v{i - 1} + 1") for i in range(1, 3000)]
    text, flag = compute_slice(history, "print(v2999 if False else v2998)")
    assert _counts(text)[-1] == 2999 and len(_counts(text)) == 2999
    assert flag is False


_names = st.sampled_from(["a", "b", "c", "d"])
_cells = st.builds(lambda t, s: f"{t} = {s} + 1", _names, _names) | st.builds(
    lambda t: f"{t} = 0", _names
)


@given(st.lists(_cells, max_size=12), _names)
def test_slice_replays_to_the_same_value_when_linear(sources: list[str], name: str) -> None:
    history = list(enumerate(sources, start=1))
    namespace: dict[str, int] = {}
    for source in sources:
        try:
            exec(source, {}, namespace)
        except NameError:
            return  # history that fails to run has no meaningful slice
    if name not in namespace:
        return
    text, non_linear = compute_slice(history, f"result = {name}")
    replay: dict[str, int] = {}
    exec(text, {}, replay)
    if not non_linear:
        assert replay[name] == namespace[name]
    assert _counts(text) == sorted(_counts(text))
