"""The parser survives anything: arbitrary text and bytes, mutated real dumps, huge files."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.dumps import parse_dump

DUMPS = Path(__file__).resolve().parent.parent / "content" / "dumps"
SAMPLE_LINES = [
    line
    for path in sorted(DUMPS.glob("*.txt"))
    for line in path.read_bytes().split(b"\n")
]
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_sound(dump) -> None:
    for entry in dump.entries:
        assert entry.title.strip(), entry
        assert entry.title == entry.title.strip() and "\n" not in entry.title
        assert all(link.startswith(("http://", "https://", "HTTP", "Http")) for link in entry.links)
    for problem in dump.problems:
        assert problem.line >= 0 and problem.message


@PROPERTY
@given(st.text())
def test_any_text(text: str):
    assert_sound(parse_dump(text, "any.txt"))


@PROPERTY
@given(st.binary())
def test_any_bytes(data: bytes):
    assert_sound(parse_dump(data, "any.txt"))


# Pieces that the grammar treats specially, to build inputs that reach every branch.
TOKENS = st.sampled_from(
    ["new", "Subscribe", "Daily Papers", "SubscribeA Title", "  • 3 authors", "·", "Oct 30, 2023 1", "May 21 2",
     "Oct 31", "Feb 30, 2023", "", "\r", "\t", "\x00", "\ufeff", "A Title", "x" * 400, "https://a.org/x).",
     "(" * 50 + "https://a.org/" + ")" * 50, "\u00a0", "é\ud800"]
)


@PROPERTY
@given(st.lists(TOKENS, max_size=60), st.sampled_from(["\n", "\r\n", "\r"]))
def test_sequences_of_special_lines(lines: list[str], ending: str):
    dump = parse_dump(ending.join(lines), "special.txt")
    assert_sound(dump)
    assert_sound(parse_dump(ending.join(lines).encode("utf-8", "surrogatepass"), "special.txt"))


def mutate(rng: random.Random, lines: list[bytes]) -> bytes:
    lines = list(lines)
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(7)
        at = rng.randrange(len(lines)) if lines else 0
        if kind == 0 and lines:
            del lines[at]
        elif kind == 1 and lines:
            lines.insert(at, lines[at])
        elif kind == 2:
            rng.shuffle(lines)
        elif kind == 3 and lines:
            lines[at] = lines[at][: rng.randrange(len(lines[at]) + 1)]
        elif kind == 4 and lines:
            lines[at] += b"\r"
        elif kind == 5 and lines:
            position = rng.randrange(len(lines[at]) + 1)
            lines[at] = lines[at][:position] + b"\x00" + lines[at][position:]
        else:
            lines.insert(at, b"word " * 200_000)  # a 1 MB line
    return b"\n".join(lines)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_mutated_real_dumps(seed: int):
    rng = random.Random(seed)
    start = rng.randrange(len(SAMPLE_LINES))
    dump = parse_dump(mutate(rng, SAMPLE_LINES[start : start + rng.randint(0, 300)]), "mutated.txt")
    assert_sound(dump)


def parse_seconds(data: bytes) -> float:
    started = time.perf_counter()
    parse_dump(data, "timed.txt")
    return time.perf_counter() - started


def test_time_grows_linearly_with_the_input():
    """Four times the input must not take much more than four times as long (quadratic would be 16)."""
    nasty = [
        b"https://a.org/" + b")" * 20_000 + b"\n",
        b"\xb7\n" * 2_000,
        b"x" * 20_000 + b"\n\nTitle\n\n",
        b"SubscribeSubscribe" * 1_000 + b"\n",
        b"Oct 30, 2023 " + b"1" * 5_000 + b"\n",
    ]
    unit = b"".join(nasty) * 4 + b"\n".join(SAMPLE_LINES[:400])
    small = min(parse_seconds(unit) for _ in range(3))
    large = min(parse_seconds(unit * 4) for _ in range(3))
    assert large < 8 * small + 0.05, (small, large)


MEASURE_PARSE = """
import resource, sys
from sitegen.dumps import parse_dump
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "rb") as file:
    dump = parse_dump(file, "huge.txt")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(dump.entries), len(dump.problems), (after - before) // 1024)
"""


def test_a_50_mb_dump_parses_in_memory_that_does_not_grow_with_its_size(tmp_path: Path):
    path = tmp_path / "huge.txt"
    noise = ("lorem ipsum " * 800 + "\n\n·\nNov 13\n\n").encode() * 100
    with path.open("wb") as file:
        file.write(b"One real paper\n\n" + b"An abstract. " * 40 + b"\n\n")
        while file.tell() < 50_000_000:
            file.write(noise)
    result = subprocess.run(
        [sys.executable, "-c", MEASURE_PARSE, str(path)], capture_output=True, text=True, timeout=300, check=True
    )
    entries, problems, grown_mb = map(int, result.stdout.split())
    assert entries == 1
    assert problems == 101  # a hundred shown, then one line that counts the rest
    assert grown_mb < 20, f"memory grew by {grown_mb} MB while parsing a 50 MB dump"


def test_reading_from_a_file_gives_what_reading_its_bytes_gives():
    data = b"\r\n".join(SAMPLE_LINES[:500]) + b"\rCR only\rline\r"
    assert parse_dump(io.BytesIO(data), "x.txt") == parse_dump(data, "x.txt")
