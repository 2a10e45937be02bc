"""bandit over the application code, for `make lint`, honouring the exceptions ruff already reviewed.

ruff's S rules are flake8-bandit's, numbered alike (bandit B608 is ruff S608), and the code base records
each reviewed exception once, as `# noqa: S608 - why` on the line (or `# ruff: noqa: S603` for a file).
bandit cannot read those, so a bandit finding is accepted when its line or file carries ruff's exception
for the same number; bandit's own `# nosec BNNN` works as usual for checks ruff does not have. Every
other finding of medium or high severity fails (low-severity checks are all ruff's, which run anyway).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

TARGETS = ["zhengxie", "config"]
# bandit checks whose ruff counterpart has another number.
RUFF_CODE = {"B703": "S308"}
NOQA = re.compile(r"#\s*noqa:\s*([A-Z0-9,\s]+)")
FILE_NOQA = re.compile(r"#\s*ruff:\s*noqa:\s*([A-Z0-9,\s]+)")


def _codes(match: re.Match[str] | None) -> set[str]:
    return {c.strip() for c in match.group(1).split(",")} if match else set()


def reviewed(issue: dict) -> bool:
    code = RUFF_CODE.get(issue["test_id"], "S" + issue["test_id"][1:])
    source = Path(issue["filename"]).read_text(encoding="utf-8").splitlines()
    lines = range(issue["line_range"][0], issue["line_range"][-1] + 1) if issue["line_range"] else []
    if any(code in _codes(NOQA.search(source[n - 1])) for n in lines if 0 < n <= len(source)):
        return True
    return any(code in _codes(FILE_NOQA.search(line)) for line in source)


def main() -> int:
    command = [sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-r", *TARGETS, "-f", "json", "-q"]
    command += ["--severity-level", "medium"]
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return 1
    if report.get("errors"):
        for error in report["errors"]:
            print(f"bandit could not scan {error['filename']}: {error['reason']}", file=sys.stderr)
        return 1
    issues = report.get("results", [])
    open_issues = [i for i in issues if not reviewed(i)]
    for i in open_issues:
        print(f"{i['filename']}:{i['line_number']}: {i['test_id']} [{i['issue_severity']}] {i['issue_text']}")
    scanned = report.get("metrics", {}).get("_totals", {}).get("loc", 0)
    print(
        f"bandit: {scanned} lines, {len(issues)} medium/high findings, "
        f"{len(issues) - len(open_issues)} of them reviewed (ruff noqa), {len(open_issues)} open."
    )
    return 1 if open_issues else 0


if __name__ == "__main__":
    sys.exit(main())
