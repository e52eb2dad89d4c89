"""``python -m crosscheck.casebook FILE…``: run rule cases and print what differs."""

from __future__ import annotations

import sys
from pathlib import Path

from crosscheck.casebook import run


def main(argv: list[str]) -> int:
    only = None
    if "--only" in argv:
        at = argv.index("--only")
        only, argv = argv[at + 1], argv[:at] + argv[at + 2 :]
    cases = run.load([Path(p) for p in argv])
    failed = ran = 0
    for item in cases:
        if only and only not in item.case.name and only != item.id:
            continue
        ran += 1
        try:
            outcome = run.run(item.case)
        except Exception as exc:  # a case the builder or the checks cannot run
            print(f"ERROR {item.id}  {item.case.name}\n      {type(exc).__name__}: {exc}")
            failed += 1
            continue
        problems = run.differences(item.case, outcome)
        print(("FAIL " if problems else "pass ") + f"{item.id}  {item.case.name}")
        for line in problems:
            print("      " + line)
        if problems:
            failed += 1
            print(f"      found: {outcome.found}")
    print(f"{ran - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
