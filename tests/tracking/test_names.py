"""Tests of the friendly run-name generator."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from jupyter_mltrack.tracking.names import ADJECTIVES, NOUNS, generate_run_name

NAME_RE = re.compile(r"^[a-z]+-[a-z]+-\d{1,3}$")


@pytest.mark.parametrize("words", [ADJECTIVES, NOUNS], ids=["adjectives", "nouns"])
def test_word_lists_are_long_unique_and_lowercase(words: tuple[str, ...]) -> None:
    assert len(words) >= 50
    assert len(set(words)) == len(words)
    assert all(w.isalpha() and w.islower() for w in words)


def test_name_has_adjective_noun_number() -> None:
    adjective, noun, number = generate_run_name().split("-")
    assert adjective in ADJECTIVES
    assert noun in NOUNS
    assert 0 <= int(number) < 1000


def test_seeded_generator_is_deterministic() -> None:
    first = [generate_run_name(random.Random(7)) for _ in range(3)]
    assert first == [generate_run_name(random.Random(7))] * 3
    assert NAME_RE.match(first[0])


def test_default_generator_varies() -> None:
    assert len({generate_run_name() for _ in range(50)}) > 40


def test_global_random_state_is_untouched() -> None:
    random.seed(123)
    expected = random.random()
    random.seed(123)
    generate_run_name()
    assert random.random() == expected


def test_forked_child_does_not_repeat_parent_names() -> None:
    script = """
import os
from jupyter_mltrack.tracking.names import generate_run_name
read, write = os.pipe()
if os.fork() == 0:
    os.write(write, generate_run_name().encode()); os._exit(0)
os.wait()
print(os.read(read, 100).decode(), generate_run_name())
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    child, parent = out.stdout.split()
    assert child != parent
