"""``monitor.html``: drift, estimated and realized accuracy, and alerts, readable offline."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from headrace.html_report import atomic_write, figure_html, page, table_html, unchanged
from headrace.monitor.current import CurrentSummary
from headrace.monitor.profile import ReferenceProfile
from headrace.store import hash_json

__all__ = ["write_monitor_report"]

#: Buckets of the reference-vs-current histograms of numeric columns.
_PLOT_BINS = 20


def write_monitor_report(
    path: Path,
    result: dict[str, Any],
    *,
    project: str,
    profile: ReferenceProfile | None = None,
    latest: CurrentSummary | None = None,
) -> Path:
    """Write the report of a monitor run (``MonitorResult.to_dict()``) atomically to ``path``.

    With the reference ``profile`` and the ``latest`` window's summary it also plots
    reference against current, feature by feature.
    """
    key = hash_json([project, result])
    if unchanged(path, key):
        return path
    import plotly.graph_objects as go

    model = result["model"]
    windows = result["windows"]
    parts = [
        f"<h1>headrace monitor · {html.escape(project)}</h1>",
        f"<p class=muted>model v{model['version']} ({', '.join(model['aliases']) or 'no alias'}) · "
        f"window {html.escape(result['window'])} · {len(windows)} window(s) · "
        f"run {result['run_id'][:12]}</p>",
        _alerts(result),
    ]
    if windows:
        labels = [w["window"]["start"][:19].replace("T", " ") for w in windows]
        parts.append(_accuracy_figure(go, labels, windows, result.get("baseline_accuracy")))
        drift_figure = _drift_figure(go, labels, windows)
        if drift_figure:
            parts.append(drift_figure)
        parts.append(_coverage_figure(go, windows[-1], result.get("reference_lf_coverage") or {}))
        parts.append(_drift_table(windows[-1]))
        parts.append(_slice_table(windows[-1]))
        parts.append(_validation_table(windows[-1]))
    if profile is not None and latest is not None:
        parts.append(_distributions(go, profile, latest))
    atomic_write(path, page(f"headrace monitor · {project}", parts, key=key))
    return path


def _alerts(result: dict[str, Any]) -> str:
    notes = "".join(f"<li class=muted>{html.escape(n)}</li>" for n in result.get("notes", []))
    if not result["breaches"]:
        status = "<p class=ok><b>no threshold crossed</b> in the checked window</p>"
    else:
        items = "".join(f"<li>{html.escape(b['message'])}</li>" for b in result["breaches"])
        status = (
            f"<p class=breach><b>{len(result['breaches'])} breach(es)</b></p><ul class=breach>{items}</ul>"
        )
    return f"<section><h2>Alerts</h2>{status}<ul>{notes}</ul></section>"


def _accuracy_figure(
    go: Any, labels: list[str], windows: list[dict[str, Any]], baseline: float | None
) -> str:
    figure = go.Figure()
    estimates = [w["estimate"] for w in windows]
    if any(e is not None for e in estimates):
        low = [None if e is None else e["accuracy_ci"][0] for e in estimates]
        high = [None if e is None else e["accuracy_ci"][1] for e in estimates]
        figure.add_scatter(
            x=labels, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip"
        )
        figure.add_scatter(
            x=labels, y=low, mode="lines", line={"width": 0}, fill="tonexty", name="estimate 95% interval"
        )
        figure.add_scatter(
            x=labels, y=[None if e is None else e["accuracy"] for e in estimates], name="estimated accuracy"
        )
    realized = [w["realized"] for w in windows]
    if any(r is not None and r["accuracy"] is not None for r in realized):
        figure.add_scatter(
            x=labels,
            y=[None if r is None else r["accuracy"] for r in realized],
            name="realized accuracy (feedback)",
            mode="lines+markers",
        )
    if baseline is not None:
        figure.add_hline(y=baseline, line_dash="dot", annotation_text="test accuracy")
    figure.update_layout(
        title="Estimated vs realized accuracy per window", height=380, yaxis_tickformat=".0%"
    )
    return f"<section><h2>Performance</h2>{figure_html(figure)}</section>"


def _drift_figure(go: Any, labels: list[str], windows: list[dict[str, Any]]) -> str:
    series: dict[str, list[float | None]] = {}
    for position, window in enumerate(windows):
        drift = window["drift"]
        if drift is None:
            continue
        for column in drift["columns"]:
            voting = [t for t in column["tests"] if t.get("votes", True)]
            if not voting:
                continue
            # One score per column and window: the voting test's statistic over its threshold.
            score = max((t["statistic"] or 0.0) / t["threshold"] if t["threshold"] else 0.0 for t in voting)
            series.setdefault(column["column"], [None] * len(windows))[position] = score
    if not series:
        return ""
    figure = go.Figure()
    for name, values in series.items():
        figure.add_scatter(x=labels, y=values, name=name, mode="lines+markers")
    figure.add_hline(y=1.0, line_dash="dot", annotation_text="drift threshold")
    figure.update_layout(title="Drift score per feature (statistic / threshold)", height=420)
    return f"<section><h2>Drift over windows</h2>{figure_html(figure)}</section>"


def _coverage_figure(go: Any, window: dict[str, Any], reference: dict[str, float]) -> str:
    estimate = window["estimate"]
    if estimate is None or not estimate["lf_coverage"]:
        return ""
    names = list(estimate["lf_coverage"])
    figure = go.Figure()
    figure.add_bar(name="training", x=names, y=[reference.get(n) for n in names])
    figure.add_bar(name="latest window", x=names, y=[estimate["lf_coverage"][n] for n in names])
    figure.update_layout(title="LF coverage: training vs latest window", barmode="group", height=380)
    figure.update_yaxes(tickformat=".0%")
    return f"<section><h2>Labeling functions on traffic</h2>{figure_html(figure)}</section>"


def _drift_table(window: dict[str, Any]) -> str:
    drift = window["drift"]
    if drift is None:
        return ""
    rows = [
        {
            "column": t["column"],
            "kind": t["kind"],
            "test": t["test"],
            "statistic": t["statistic"],
            "threshold": t["threshold"],
            "p_value": t["p_value"],
            "drifted": "yes" if t["drifted"] else "",
            "votes": "yes" if t.get("votes", True) else "no",
        }
        for column in drift["columns"]
        for t in column["tests"]
    ]
    if drift["multivariate"] is not None:
        rows.append({**drift["multivariate"], "drifted": "yes" if drift["multivariate"]["drifted"] else ""})
    rows += [{**t, "drifted": "yes" if t["drifted"] else ""} for t in drift["prediction"]["tests"]]
    frame = pd.DataFrame(rows).set_index("column")
    keep = [
        c for c in ("kind", "test", "statistic", "threshold", "p_value", "drifted", "votes") if c in frame
    ]
    return f"<section><h2>Drift tests (latest window)</h2>{table_html(frame[keep])}</section>"


def _slice_table(window: dict[str, Any]) -> str:
    realized = window["realized"]
    if realized is None or not realized["slices"]:
        return ""
    frame = pd.DataFrame.from_dict(realized["slices"], orient="index")
    frame.index.name = "slice"
    return f"<section><h2>Slices (latest window)</h2>{table_html(frame)}</section>"


def _validation_table(window: dict[str, Any]) -> str:
    report = window.get("validation")
    if report is None:
        return ""
    title = "<h2>Data validation (latest window)</h2>"
    if not report["violations"]:
        return (
            f"<section>{title}<p class=ok>the window's {report['rows']} rows keep all "
            f"{report['rules']} rules of the constraints file</p></section>"
        )
    frame = pd.DataFrame(
        [
            {
                "column": v["column"],
                "rule": v["rule"],
                "severity": v["severity"],
                "rows": v["count"],
                "share": f"{v['rate']:.1%}",
                "examples": "; ".join(f"{e['id']} = {e['value']!r}" for e in v["examples"]),
            }
            for v in report["violations"]
        ]
    ).set_index("column")
    return f"<section>{title}{table_html(frame)}</section>"


def _distributions(go: Any, profile: ReferenceProfile, current: CurrentSummary) -> str:
    figures = []
    for name, reference in profile.numeric.items():
        edges = reference.binning.coarse_edges(_PLOT_BINS)
        ref = reference.binning.regroup(reference.stats.bins, edges)
        cur = reference.binning.regroup(current.numeric[name].bins, edges)
        labels = [f"≤ {e:.3g}" for e in edges] + [f"> {edges[-1]:.3g}" if len(edges) else "all"]
        figures.append(_pair(go, name, labels, ref, cur))
    for name, categorical in profile.categorical.items():
        labels = [*categorical.categories, "(other)"]
        figures.append(_pair(go, name, labels, categorical.stats.counts, current.categorical[name].counts))
    for name, text in profile.text.items():
        edges = text.length.coarse_edges(_PLOT_BINS)
        ref = text.length.regroup(text.stats.length.bins, edges)
        cur = text.length.regroup(current.text[name].length.bins, edges)
        labels = [f"≤ {e:.0f} chars" for e in edges] + ["longer"]
        figures.append(_pair(go, f"{name} (length)", labels, ref, cur))
    if profile.prediction is not None and current.prediction is not None:
        labels = [*profile.prediction.classes, "(other)"]
        figures.append(
            _pair(
                go,
                "predicted label",
                labels,
                profile.prediction.stats.label_counts,
                current.prediction.label_counts,
            )
        )
    return "<section><h2>Reference vs latest window</h2>" + "".join(figures) + "</section>"


def _pair(go: Any, title: str, labels: list[str], reference: Any, current: Any) -> str:
    ref = np.asarray(reference, dtype=np.float64)
    cur = np.asarray(current, dtype=np.float64)
    n = min(len(labels), len(ref), len(cur))
    figure = go.Figure()
    figure.add_bar(name="reference", x=labels[:n], y=(ref / max(ref.sum(), 1))[:n])
    figure.add_bar(name="current", x=labels[:n], y=(cur / max(cur.sum(), 1))[:n])
    figure.update_layout(title=title, barmode="group", height=320, yaxis_tickformat=".0%")
    return figure_html(figure)
