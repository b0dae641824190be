"""Top functions of a py-spy profile, per thread: ``python -m bench.profile_top FILE``.

The engine benchmark runs its loop, its workers and its clients on threads of their own, which
cProfile does not follow; py-spy samples them all::

    py-spy record --threads --format raw -o engine.txt -- python -m bench.engine --only durable
    python -m bench.profile_top engine.txt --thread stepline-engine --top 25

For each thread (or the one asked for) the summary gives its share of the samples, then the
functions by inclusive share (on the stack) and by self share (at the top of the stack).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_THREAD = re.compile(r"^thread \((?:0x)?[0-9a-fA-F]+\)(?:: (?P<name>.*))?$")
_LOCATION = re.compile(r" \((?P<file>[^()]*?)(?::\d+)?\)$")
_NUMBERED = re.compile(r"_\d+$")


@dataclass(slots=True)
class ThreadProfile:
    """The samples of the threads of one name (``stepline-worker_3`` counts as
    ``stepline-worker``)."""

    samples: int = 0
    inclusive: Counter[str] = field(default_factory=Counter)
    own: Counter[str] = field(default_factory=Counter)


def function_of(frame: str) -> str:
    """``name (file:line)`` without its line: one entry per function."""
    return _LOCATION.sub(lambda match: f" ({match['file']})", frame)


def read_profiles(lines: Iterable[str]) -> dict[str, ThreadProfile]:
    """py-spy's raw format: one ``frame;frame;...;frame count`` per line, the first frame
    naming the thread when py-spy ran with ``--threads``."""
    profiles: dict[str, ThreadProfile] = {}
    for line in lines:
        stack, _, count_text = line.rstrip("\n").rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = _THREAD.match(frames[0])
        if thread is not None:
            name = _NUMBERED.sub("", thread["name"] or "(unnamed)")
            frames = frames[1:]
        else:
            name = "(all)"
        profile = profiles.setdefault(name, ThreadProfile())
        profile.samples += count
        functions = [function_of(frame) for frame in frames]
        for function in set(functions):
            profile.inclusive[function] += count
        if functions:
            profile.own[functions[-1]] += count
    return profiles


def summary(profiles: dict[str, ThreadProfile], *, thread: str | None, top: int) -> str:
    total = sum(profile.samples for profile in profiles.values()) or 1
    lines = ["samples by thread:"]
    ordered = sorted(profiles.items(), key=lambda item: -item[1].samples)
    lines += [f"  {p.samples:7d} {100 * p.samples / total:5.1f}%  {name}" for name, p in ordered]
    for name, profile in ordered:
        if thread is not None and name != thread:
            continue
        samples = profile.samples or 1
        lines.append(f"\n== {name}: inclusive")
        lines += [
            f"  {100 * n / samples:5.1f}%  {function}"
            for function, n in profile.inclusive.most_common(top)
        ]
        lines.append(f"== {name}: self")
        lines += [
            f"  {100 * n / samples:5.1f}%  {function}"
            for function, n in profile.own.most_common(top)
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile_top",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", help="py-spy record --format raw output")
    parser.add_argument("--thread", help="only this thread (e.g. stepline-engine, MainThread)")
    parser.add_argument("--top", type=int, default=25, help="functions listed (default 25)")
    arguments = parser.parse_args(argv)
    with open(arguments.file, encoding="utf-8") as profile:
        profiles = read_profiles(profile)
    print(summary(profiles, thread=arguments.thread, top=arguments.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
