"""Friendly run names such as ``brave-owl-42``, given to runs started without a name."""

from __future__ import annotations

import os
import random

__all__ = ["ADJECTIVES", "NOUNS", "generate_run_name"]

ADJECTIVES: tuple[str, ...] = (
    "agile", "amber", "ancient", "bold", "brave", "bright", "brisk", "calm", "capable", "clever",
    "cosmic", "crisp", "curious", "daring", "dapper", "eager", "easy", "elegant", "fearless",
    "fluffy", "gentle", "gifted", "glowing", "golden", "graceful", "handsome", "happy", "honest",
    "humble", "jolly", "keen", "kind", "lively", "lucky", "mellow", "merry", "mighty", "nimble",
    "noble", "patient", "polite", "proud", "quick", "quiet", "rare", "rebel", "resilient",
    "rustic", "serene", "sharp", "shiny", "silent", "silver", "smiling", "stellar", "steady",
    "sunny", "swift", "tender", "thoughtful", "tidy", "vivid", "warm", "wise", "witty", "zesty",
)  # fmt: skip

NOUNS: tuple[str, ...] = (
    "ant", "badger", "bat", "bear", "bee", "bison", "boar", "carp", "cat", "cheetah", "colt",
    "crab", "crane", "crow", "deer", "dolphin", "dove", "duck", "eagle", "eel", "elk", "falcon",
    "ferret", "finch", "fox", "frog", "gazelle", "goat", "goose", "gull", "hare", "hawk", "heron",
    "horse", "hound", "ibis", "jay", "koala", "lark", "lemur", "lion", "lynx", "mink", "mole",
    "moose", "moth", "newt", "otter", "owl", "panda", "parrot", "perch", "pig", "puma", "quail",
    "ram", "raven", "robin", "seal", "shark", "shrew", "sloth", "snail", "sparrow", "squid",
    "stork", "swan", "tiger", "toad", "trout", "turtle", "vole", "whale", "wolf", "wren", "yak",
)  # fmt: skip

_RANDOM = random.Random(os.urandom(16))


def _reseed() -> None:
    _RANDOM.seed(os.urandom(16))


# A forked worker (process-pool sweeps) would otherwise repeat its parent's sequence of names.
os.register_at_fork(after_in_child=_reseed)


def generate_run_name(rng: random.Random | None = None) -> str:
    """Return a friendly run name: an adjective, a noun and a number below 1000.

    Args:
        rng: The random generator to draw from; pass a seeded ``random.Random`` for
            reproducible names (tests). By default a module generator seeded from
            ``os.urandom`` (and reseeded in forked children) is used, so names neither
            depend on nor disturb the global ``random`` state.

    Example:
        >>> generate_run_name(random.Random(0))
        'sharp-puma-41'
    """
    r = _RANDOM if rng is None else rng
    return f"{r.choice(ADJECTIVES)}-{r.choice(NOUNS)}-{r.randrange(1000)}"
