"""Check the PrometheusRule of components/monitoring against the code and the operations page.

  check_alerts.py <rendered manifests> <repository root> <rules file to write>

* every alert that docs/operations.md's table asks for is there, and the page names it;
* every `hoso_*` metric an expression reads is one the services export (instrument names
  in the source, in Prometheus form), so a renamed metric cannot leave a silent alert;
* so is every metric the dashboards in deploy/grafana query;
* the rule groups are written out as a plain rules file, for `vmalert -dryRun` to parse
  every expression and template (deploy/check.sh runs it).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REQUIRED = {
    "HosoSigningBehind",
    "HosoCallbackUnauthorizedRising",
    "HosoCallbackLatencyHigh",
    "HosoApprovalToSignedSlow",
    "HosoDeadLetters",
    "HosoConsumerLagGrowing",
    "HosoHttpErrorRate",
    "HosoHttpLatencyHigh",
}
INSTRUMENT = re.compile(
    r"(?:create_histogram|create_counter|create_observable_gauge|\.gauge|\bdurations|\bcounter)"
    r"\(\s*\"(hoso\.[a-z0-9_.]+)\"",
)
METRIC = re.compile(r"\bhoso_[a-z0-9_]+")
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_seconds")


def exported(root: Path) -> set[str]:
    names: set[str] = set()
    for path in [*root.glob("libs/*/src/**/*.py"), *root.glob("services/*/src/**/*.py")]:
        names.update(m.replace(".", "_") for m in INSTRUMENT.findall(path.read_text()))
    return names


def base_name(metric: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in SUFFIXES:
            if metric.endswith(suffix):
                metric, changed = metric[: -len(suffix)], True
    return metric


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        sys.stderr.write(__doc__ or "")
        return 2
    manifests, root, rules_out = Path(argv[1]), Path(argv[2]), Path(argv[3])
    groups: list[dict[str, Any]] = []
    for doc in yaml.safe_load_all(manifests.read_text()):
        if doc and doc.get("kind") == "PrometheusRule":
            groups += doc["spec"]["groups"]
    problems: list[str] = []
    if not groups:
        problems.append("no PrometheusRule in the rendered manifests")
    alerts = {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}
    for name in sorted(REQUIRED - alerts.keys()):
        problems.append(f"alert {name} is missing")
    operations = (root / "docs" / "operations.md").read_text()
    for name in sorted(alerts):
        if name not in operations:
            problems.append(f"alert {name} is not named in docs/operations.md")
    known = exported(root)
    if not known:
        problems.append("found no instrument names in the source")
    for name, rule in sorted(alerts.items()):
        for metric in METRIC.findall(str(rule["expr"])):
            if base_name(metric) not in known:
                problems.append(f"{name}: {metric} is not a metric the services export")
    for dashboard in sorted((root / "deploy" / "grafana").glob("*.json")):
        panels = json.loads(dashboard.read_text()).get("panels", [])
        exprs = [t.get("expr", "") for p in panels for t in p.get("targets", [])]
        if not exprs:
            problems.append(f"{dashboard.name}: no queries")
        for expr in exprs:
            for metric in METRIC.findall(expr):
                if base_name(metric) not in known:
                    problems.append(f"{dashboard.name}: {metric} is not exported")
    rules_out.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    for problem in problems:
        print(f"FAIL: {problem}")
    if not problems:
        print(f"{len(alerts)} alerts; each reads exported metrics and is named in the docs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
