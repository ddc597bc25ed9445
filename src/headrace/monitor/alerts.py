"""Checks of a monitored window against the project's thresholds, and the webhook told of breaches."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from headrace import __version__
from headrace.project.config import MonitorThresholds

__all__ = ["Breach", "WindowFigures", "check_window", "post_alert"]


@dataclass(frozen=True)
class Breach:
    """One threshold a window crossed."""

    check: str
    value: float
    threshold: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
        }


@dataclass(frozen=True)
class WindowFigures:
    """What the checks read from a window (``None``: not measured)."""

    drift_share: float | None = None
    drifted_columns: tuple[str, ...] = ()
    multivariate_drift: bool | None = None
    prediction_drift: bool | None = None
    estimated_accuracy: float | None = None
    realized_accuracy: float | None = None
    realized_rows: int = 0
    lf_coverage_change: dict[str, float] | None = None


def check_window(
    figures: WindowFigures, thresholds: MonitorThresholds, *, baseline_accuracy: float | None
) -> list[Breach]:
    """Every threshold ``figures`` cross; ``baseline_accuracy`` is the model's test accuracy."""
    breaches: list[Breach] = []
    t = thresholds
    if t.drift_share is not None and figures.drift_share is not None and figures.drift_share >= t.drift_share:
        breaches.append(
            Breach(
                "drift_share",
                figures.drift_share,
                t.drift_share,
                f"{figures.drift_share:.0%} of feature columns drifted: {', '.join(figures.drifted_columns)}",
            )
        )
    if t.multivariate_drift and figures.multivariate_drift:
        breaches.append(
            Breach(
                "multivariate_drift", 1.0, 1.0, "a domain classifier tells current rows from reference rows"
            )
        )
    if t.prediction_drift and figures.prediction_drift:
        breaches.append(Breach("prediction_drift", 1.0, 1.0, "the distribution of the model's outputs moved"))
    estimated = figures.estimated_accuracy
    if estimated is not None and estimated == estimated:
        if t.min_estimated_accuracy is not None and estimated < t.min_estimated_accuracy:
            breaches.append(
                Breach(
                    "min_estimated_accuracy",
                    estimated,
                    t.min_estimated_accuracy,
                    f"estimated accuracy {estimated:.3f} is below {t.min_estimated_accuracy:.3f}",
                )
            )
        if t.max_accuracy_drop is not None and baseline_accuracy is not None:
            drop = baseline_accuracy - estimated
            if drop > t.max_accuracy_drop:
                breaches.append(
                    Breach(
                        "max_accuracy_drop",
                        drop,
                        t.max_accuracy_drop,
                        f"estimated accuracy {estimated:.3f} is {drop:.3f} below the test accuracy "
                        f"{baseline_accuracy:.3f}",
                    )
                )
    realized = figures.realized_accuracy
    if t.min_realized_accuracy is not None and realized is not None and realized < t.min_realized_accuracy:
        breaches.append(
            Breach(
                "min_realized_accuracy",
                realized,
                t.min_realized_accuracy,
                f"accuracy on {figures.realized_rows} labelled rows is {realized:.3f}, "
                f"below {t.min_realized_accuracy:.3f}",
            )
        )
    if t.max_lf_coverage_change is not None and figures.lf_coverage_change:
        for name, change in sorted(figures.lf_coverage_change.items()):
            if abs(change) > t.max_lf_coverage_change:
                breaches.append(
                    Breach(
                        "max_lf_coverage_change",
                        abs(change),
                        t.max_lf_coverage_change,
                        f"LF {name} fires on {change:+.0%} of rows compared with training",
                    )
                )
    return breaches


def post_alert(url: str, payload: dict[str, Any], *, timeout_s: float = 10.0) -> str | None:
    """POST ``payload`` as JSON to ``url``; returns ``None`` on a 2xx, else what went wrong.

    An unreachable webhook must not hide the breach itself, so failures are returned
    for the caller to report rather than raised.
    """
    body = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"headrace/{__version__}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"webhook {url} answered {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return f"webhook {url} unreachable: {exc}"
    return None if 200 <= status < 300 else f"webhook {url} answered {status}"
