"""Summarise py-spy raw (collapsed) profiles: where the sampled time goes.

    python bench/profile_top.py bench/results/profile-signpg-*.txt [--depth-of chorus]

With --within NAME, only the stacks that pass through a function whose name starts with
NAME count (for example `--within WSGIHandler.__call__`: the requests, without idle threads).
Prints, over all the given files, the share of samples per process file, the functions
with the most inclusive time (on the stack at all) and the most self time (on top).
"""

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--within", default="", help="only stacks through this function")
    args = parser.parse_args()
    inclusive: Counter = Counter()
    self_time: Counter = Counter()
    per_file: Counter = Counter()
    total = 0
    for path in args.files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [short(f) for f in stack.split(";")]
            if args.within and not any(f.startswith(args.within) for f in frames):
                continue
            total += n
            per_file[path.name] += n
            for frame in set(frames):
                inclusive[frame] += n
            self_time[frames[-1]] += n
    print(f"{total} samples")
    for name, n in per_file.most_common():
        print(f"  {n / total:6.1%}  {name}")
    print("\ninclusive (on the stack):")
    for name, n in inclusive.most_common(args.top):
        print(f"  {n / total:6.1%}  {name}")
    print("\nself (on top of the stack):")
    for name, n in self_time.most_common(args.top):
        print(f"  {n / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
