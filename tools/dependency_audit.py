"""`pip-audit` over the packages installed in this environment, for `make lint`.

Fails on any known vulnerability, and on any package it could not look up. The one exception: when not a
single package could be looked up (every look-up failed or answered "not found", as it does on a machine
that reaches the package index but not PyPI's vulnerability data), it says so and skips, because then
nothing was audited at all, and failing would only say "no network".
"""

from __future__ import annotations

import json
import subprocess
import sys

NETWORK_ERRORS = ("ConnectionError", "Max retries exceeded", "Name or service not known", "timed out")


def main() -> int:
    command = [sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off"]
    command.append("--skip-editable")  # the project itself, which is not on PyPI
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        if any(marker in proc.stderr for marker in NETWORK_ERRORS):
            print("pip-audit skipped: the vulnerability service cannot be reached from this machine.")
            print(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "")
            return 0
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return proc.returncode or 1
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE {dep['name']} {dep.get('version', '')}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        return 1
    if skipped and not audited:
        print(
            f"pip-audit skipped: none of the {len(skipped)} installed packages could be looked up in PyPI's "
            "vulnerability data from this machine (the package index is reachable, its advisory data is "
            "not). Nothing was audited; run `make lint` where that data can be reached."
        )
        return 0
    for dep in skipped:
        print(f"NOT AUDITED {dep['skip_reason']}")
    if skipped:
        return 1
    print(f"pip-audit: {len(audited)} packages, no known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
