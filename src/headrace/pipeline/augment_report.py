"""The "Augmentation" section of ``report.html``: what the TFs added, and what it did to
the test and slice scores."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from headrace.html_report import figure_html, table_html

__all__ = ["augmentation_html"]

#: Characters of a changed value shown in the examples table.
_SHOWN_CHARS = 160


def _policy_text(section: dict[str, Any]) -> str:
    policy = section["policy"]
    name = policy.get("policy")
    what = {
        "one": "each copy made by one TF, every TF in turn",
        "all": "each copy made by every TF in turn",
        "random": f"each copy made by {policy.get('k', 1)} TF(s) drawn at random",
    }.get(str(name), str(name))
    kept = "originals kept" if policy.get("keep_original", True) else "originals left out"
    return (
        f"policy <b>{html.escape(str(name))}</b> ({html.escape(what)}; "
        f"{policy.get('n_per_original', 1)} per original; {kept}; seed {section.get('seed')})"
    )


def _clip(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _comparison(comparison: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    test = pd.DataFrame(
        [
            {"metric": m, "with augmentation": v["with"], "without": v["without"], "Δ": v["delta"]}
            for m, v in comparison["test"].items()
        ]
    ).set_index("metric")
    parts = [
        f"<p>Gold test scores of the registered model against the same family "
        f"(<b>{html.escape(str(comparison['family']))}</b>) and hyper-parameters fitted on the "
        "training rows without the copies.</p>",
        table_html(test),
    ]
    slices = comparison.get("slices") or {}
    if slices:
        rows = [
            {
                "slice": name,
                "rows": scores["rows"],
                "f1 with": scores["f1"]["with"],
                "f1 without": scores["f1"]["without"],
                "Δ f1": scores["f1"]["delta"],
                "accuracy with": scores["accuracy"]["with"],
                "accuracy without": scores["accuracy"]["without"],
                "Δ accuracy": scores["accuracy"]["delta"],
            }
            for name, scores in slices.items()
        ]
        names = ["(all test rows)", *slices]
        deltas = [comparison["test"]["f1"]["delta"], *(s["f1"]["delta"] for s in slices.values())]
        bars = go.Figure(
            go.Bar(
                x=names,
                y=[0 if d is None else d for d in deltas],
                marker_color=["#1b7f3b" if (d or 0) >= 0 else "#b00020" for d in deltas],
            )
        )
        bars.update_layout(
            title="F1 with minus without augmentation (gold test, per slice)", height=340, yaxis_title="Δ F1"
        )
        parts += [figure_html(bars), table_html(pd.DataFrame(rows).set_index("slice"))]
    return "".join(parts)


def augmentation_html(section: dict[str, Any]) -> str:
    """The section's HTML, from :func:`headrace.pipeline.augment_compare.augmentation_section`."""
    intro = (
        f"<p>{section['rows_in']} training rows + <b>{section['rows_added']}</b> augmented copies = "
        f"{section['rows_out']} rows; {_policy_text(section)}. A copy carries its original's "
        f"label. {section['unchanged']} copies came out identical to their original and were left "
        "out. Gold dev and test rows are never augmented.</p>"
    )
    per_tf = pd.DataFrame(
        [
            {"TF": name, "copies": count, "declined": section["declined"].get(name, 0)}
            for name, count in section["per_tf"].items()
        ]
    ).set_index("TF")
    parts = ["<section><h2>Augmentation</h2>", intro, table_html(per_tf)]
    if section.get("comparison") is not None:
        parts.append(_comparison(section["comparison"]))
    else:
        parts.append(
            "<p class=muted>No with/without comparison (needs a gold test set and "
            "<code>augment.compare: true</code>).</p>"
        )
    examples = [
        {
            "copy": e["id"],
            "TFs": e["tfs"],
            "column": column,
            "before": _clip(c["before"]),
            "after": _clip(c["after"]),
        }
        for e in section.get("examples", [])
        for column, c in e["changes"].items()
    ]
    if examples:
        parts.append("<h3>Examples</h3>" + table_html(pd.DataFrame(examples).set_index("copy")))
    parts.append("</section>")
    return "".join(parts)
