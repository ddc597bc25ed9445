"""Plotly figures as plain dicts (``{"data": [...], "layout": {...}}``).

Pages embed them as JSON and ``static/ui.js`` draws them with the plotly.js bundled in
the ``plotly`` package; building dicts directly keeps a page free of the cost of
importing ``plotly.graph_objects``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = [
    "accuracy_figure",
    "confusion_figure",
    "coverage_figure",
    "drift_figure",
    "drift_score",
    "lf_figure",
    "reliability_figure",
]

Figure = dict[str, Any]

#: Top of the drift score's colour scale (1 is the threshold).
MAX_DRIFT_SCORE = 3.0

_LAYOUT: dict[str, Any] = {
    "margin": {"l": 60, "r": 20, "t": 40, "b": 60},
    "height": 360,
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {**_LAYOUT, "title": {"text": title}, **extra}


def lf_figure(
    names: Sequence[str], coverage: Sequence[float | None], conflicts: Sequence[float | None]
) -> Figure:
    """Coverage and conflicts per LF, side by side."""
    return {
        "data": [
            {"type": "bar", "name": "coverage", "x": list(names), "y": list(coverage)},
            {"type": "bar", "name": "conflicts", "x": list(names), "y": list(conflicts)},
        ],
        "layout": _layout("Coverage and conflicts per LF", barmode="group", yaxis={"tickformat": ".0%"}),
    }


def confusion_figure(classes: Sequence[str], matrix: Sequence[Sequence[int]]) -> Figure:
    """The test confusion matrix (rows: true class, columns: predicted)."""
    return {
        "data": [
            {
                "type": "heatmap",
                "x": [f"predicted {c}" for c in classes],
                "y": [f"true {c}" for c in classes],
                "z": [list(row) for row in matrix],
                "text": [[str(v) for v in row] for row in matrix],
                "texttemplate": "%{text}",
                "colorscale": [[0, "#f1f5fb"], [1, "#1f4e79"]],
                "showscale": False,
            }
        ],
        "layout": _layout(
            "Confusion matrix (gold test)", height=320, yaxis={"autorange": "reversed", "automargin": True}
        ),
    }


def reliability_figure(bins: Sequence[dict[str, Any]]) -> Figure:
    """Reliability curve: mean confidence against accuracy per confidence bin."""
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "perfect",
                "x": [0, 1],
                "y": [0, 1],
                "line": {"dash": "dot", "color": "#999"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "model",
                "x": [b.get("confidence") for b in bins],
                "y": [b.get("accuracy") for b in bins],
                "text": [f"{b.get('count')} rows" for b in bins],
            },
        ],
        "layout": _layout(
            "Calibration (gold test)",
            height=320,
            xaxis={"title": {"text": "confidence"}, "range": [0, 1]},
            yaxis={"title": {"text": "accuracy"}, "range": [0, 1.02]},
        ),
    }


def accuracy_figure(windows: Sequence[dict[str, Any]], baseline: float | None) -> Figure:
    """Label-free estimated accuracy (with its interval) and realized accuracy per window."""
    labels = [_window_label(w) for w in windows]
    estimates = [w.get("estimate") for w in windows]
    realized = [w.get("realized") for w in windows]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": labels,
            "showlegend": False,
            "hoverinfo": "skip",
            "line": {"width": 0},
            "y": [None if e is None else e["accuracy_ci"][1] for e in estimates],
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": labels,
            "name": "estimate 95% interval",
            "fill": "tonexty",
            "line": {"width": 0},
            "y": [None if e is None else e["accuracy_ci"][0] for e in estimates],
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": labels,
            "name": "estimated accuracy",
            "y": [None if e is None else e["accuracy"] for e in estimates],
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "x": labels,
            "name": "realized accuracy (feedback)",
            "y": [None if r is None else r.get("accuracy") for r in realized],
        },
    ]
    shapes = []
    if baseline is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": baseline,
                "y1": baseline,
                "line": {"dash": "dot", "color": "#555"},
            }
        )
    return {
        "data": data,
        "layout": _layout(
            "Estimated vs realized accuracy per window (dotted: test accuracy)",
            yaxis={"tickformat": ".0%"},
            shapes=shapes,
        ),
    }


def drift_score(test: dict[str, Any]) -> float | None:
    """One drift test as a score on a common scale: 1 is the threshold, above 1 drifted.

    Tests judged on a p-value (KS, chi²) score ``log p / log threshold``; tests judged on
    their statistic (PSI, domain classifier AUC, OOV increase) score statistic over
    threshold. The score is clipped to agree with the test's own verdict and capped
    at :data:`MAX_DRIFT_SCORE` so one extreme test does not wash out the colour scale.
    """
    threshold = test.get("threshold")
    if not threshold or threshold <= 0:
        return None
    p_value = test.get("p_value")
    if p_value is not None and 0 < threshold < 1:
        score = math.log(max(p_value, 1e-300)) / math.log(threshold)
    else:
        score = (test.get("statistic") or 0.0) / threshold
    score = max(score, 1.0) if test.get("drifted") else min(score, 0.99)
    return min(max(score, 0.0), MAX_DRIFT_SCORE)


def drift_figure(windows: Sequence[dict[str, Any]]) -> Figure | None:
    """Drift per feature (and prediction, and all features together) per window, as a heatmap."""
    labels = [_window_label(w) for w in windows]
    scores: dict[str, list[float | None]] = {}
    for position, window in enumerate(windows):
        drift = window.get("drift")
        if not drift:
            continue
        tests = [(c["column"], t) for c in drift.get("columns", []) for t in c.get("tests", [])]
        tests += [("(all features)", drift["multivariate"])] if drift.get("multivariate") else []
        tests += [("(prediction)", t) for t in (drift.get("prediction") or {}).get("tests", [])]
        for column, test in tests:
            score = drift_score(test) if test.get("votes", True) else None
            if score is None:
                continue
            row = scores.setdefault(column, [None] * len(windows))
            current = row[position]
            row[position] = score if current is None else max(current, score)
    if not scores:
        return None
    names = list(scores)
    return {
        "data": [
            {
                "type": "heatmap",
                "x": labels,
                "y": names,
                "z": [scores[n] for n in names],
                "zmin": 0,
                "zmax": MAX_DRIFT_SCORE,
                "colorscale": [[0, "#2c7bb6"], [1 / MAX_DRIFT_SCORE, "#ffffbf"], [1, "#d7191c"]],
                "colorbar": {"title": {"text": "score"}},
                "hovertemplate": "%{y} · window %{x}<br>drift score %{z:.2f} (1 = threshold)<extra></extra>",
            }
        ],
        "layout": _layout(
            "Drift per feature over windows (score: 1 = threshold, above drifts)",
            height=max(260, 110 + 36 * len(names)),
            yaxis={"automargin": True},
        ),
    }


def coverage_figure(reference: dict[str, float], current: dict[str, float]) -> Figure | None:
    """LF coverage on the training snapshot against the latest window of traffic."""
    names = list(current)
    if not names:
        return None
    return {
        "data": [
            {"type": "bar", "name": "training", "x": names, "y": [reference.get(n) for n in names]},
            {"type": "bar", "name": "latest window", "x": names, "y": [current[n] for n in names]},
        ],
        "layout": _layout(
            "LF coverage: training vs latest window", barmode="group", yaxis={"tickformat": ".0%"}
        ),
    }


def _window_label(window: dict[str, Any]) -> str:
    span = window.get("window") or {}
    return f"#{span.get('index', '?')} {str(span.get('start', ''))[:16].replace('T', ' ')}"
