"""``report.html``: LF behaviour and test scores of a pipeline run, readable offline.

Plotly's JavaScript is inlined once, so the file opens with no network.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from headrace.html_report import atomic_write, figure_html, page, table_html, unchanged
from headrace.pipeline.augment_report import augmentation_html
from headrace.store import hash_json

__all__ = ["write_report"]


def write_report(
    path: Path,
    *,
    project: str,
    model_version: int,
    summary: pd.DataFrame,
    evaluation: dict[str, Any] | None,
    label_model: dict[str, Any],
    failures: dict[str, list[dict[str, str]]],
    stages: list[dict[str, Any]],
    search: dict[str, Any] | None = None,
    slices: dict[str, Any] | None = None,
    gold_reference: dict[str, Any] | None = None,
    annotations: dict[str, Any] | None = None,
    validation: dict[str, Any] | None = None,
    augmentation: dict[str, Any] | None = None,
) -> Path:
    """Render the report and write it atomically to ``path``.

    The report carries a hash of everything it shows; when the file already holds that
    hash (an unchanged rerun) it is left as it is, so a cached run stays cheap.
    """
    key = hash_json(
        [
            project,
            model_version,
            summary.to_dict(orient="split"),
            evaluation,
            label_model,
            failures,
            stages,
            search,
            slices,
            gold_reference,
            annotations,
            validation,
            augmentation,
        ]
    )
    if unchanged(path, key):
        return path
    import plotly.graph_objects as go

    parts = [
        f"<h1>headrace · {html.escape(project)}</h1>",
        f"<p class=muted>model version {model_version} (alias staging)</p>",
    ]
    if evaluation is not None:
        kpis = "".join(
            f"<span class=kpi><b>{evaluation[m]:.3f}</b>{m}</span>"
            for m in ("f1", "accuracy", "precision", "recall")
        )
        parts.append(f"<section><h2>Gold test ({evaluation['n_rows']} rows)</h2>{kpis}</section>")
        classes = evaluation["classes"]
        confusion = go.Figure(
            go.Heatmap(
                z=evaluation["confusion"],
                x=[f"pred {c}" for c in classes],
                y=[f"true {c}" for c in classes],
                text=evaluation["confusion"],
                texttemplate="%{text}",
                colorscale="Blues",
            )
        )
        confusion.update_layout(title="Confusion matrix (gold test)", height=380, width=480)
        confusion.update_yaxes(autorange="reversed")
        parts.append(figure_html(confusion))
    bars = go.Figure()
    for column in ("coverage", "overlaps", "conflicts"):
        bars.add_bar(name=column, x=list(summary.index), y=summary[column].tolist())
    bars.update_layout(
        title="Labeling functions on the unlabeled pool",
        barmode="group",
        height=420,
        yaxis_tickformat=".0%",
    )
    parts.append(f"<section><h2>Labeling functions</h2>{figure_html(bars)}{table_html(summary)}</section>")
    if failures:
        rows = [
            {"lf": name, "row": example["row"], "error": example["error"]}
            for name, examples in failures.items()
            for example in examples
        ]
        parts.append(
            "<section><h2>LF failures (abstained; first examples)</h2>"
            f"{table_html(pd.DataFrame(rows).set_index('lf'))}</section>"
        )
    chosen = html.escape(str(label_model.get("label_model")))
    dev = label_model.get("dev_accuracy") or {}
    dev_text = ", ".join(f"{html.escape(k)}: {v:.3f}" for k, v in dev.items()) or "no gold dev set"
    parts.append(
        f"<section><h2>Label model</h2><p>chosen: <b>{chosen}</b> · dev accuracy: {dev_text} · "
        f"pool coverage: {label_model.get('coverage', 0):.1%}</p></section>"
    )
    if evaluation is not None and evaluation.get("reliability"):
        parts.append(_calibration(evaluation))
    if slices:
        parts.append(_slices(slices))
    if gold_reference is not None:
        parts.append(_gap(gold_reference))
    if annotations is not None:
        parts.append(_annotations(annotations))
    if augmentation is not None:
        parts.append(augmentation_html(augmentation))
    if search is not None:
        parts.append(_search(search))
    if validation is not None:
        parts.append(_validation(validation))
    parts.append(f"<section><h2>Stages</h2>{table_html(pd.DataFrame(stages).set_index('stage'))}</section>")
    atomic_write(path, page(f"headrace report · {project}", parts, key=key))
    return path


def _calibration(evaluation: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    bins = [b for b in evaluation["reliability"] if b["count"]]
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 1], y=[0, 1], mode="lines", name="perfect", line={"dash": "dot", "color": "#999"}
    )
    figure.add_scatter(
        x=[b["confidence"] for b in bins],
        y=[b["accuracy"] for b in bins],
        mode="lines+markers",
        name="model",
        text=[f"{b['count']} rows" for b in bins],
    )
    figure.update_layout(
        title=f"Reliability (gold test), ECE {evaluation['ece']:.3f}",
        xaxis_title="predicted confidence",
        yaxis_title="accuracy",
        height=380,
        width=480,
    )
    intervals = evaluation.get("intervals") or {}
    rows = [
        {"metric": name, "value": evaluation[name], "95% low": ci["low"], "95% high": ci["high"]}
        for name, ci in intervals.items()
    ]
    table = table_html(pd.DataFrame(rows).set_index("metric")) if rows else ""
    return f"<section><h2>Calibration and confidence intervals</h2>{figure_html(figure)}{table}</section>"


def _slices(slices: dict[str, Any]) -> str:
    rows = [
        {
            "slice": name,
            "rows": scores.get("n_rows", 0),
            "accuracy": scores.get("accuracy"),
            "f1": scores.get("f1"),
            "f1_macro": scores.get("f1_macro"),
        }
        for name, scores in slices.items()
    ]
    return (
        f"<section><h2>Slices (gold test)</h2>{table_html(pd.DataFrame(rows).set_index('slice'))}</section>"
    )


def _gap(reference: dict[str, Any]) -> str:
    rows = [
        {
            "metric": metric,
            "weak labels": reference["weak_test"][metric],
            "gold labels": reference["test"][metric],
            "gap (gold − weak)": reference["gap"][metric],
        }
        for metric in reference["test"]
    ]
    return (
        "<section><h2>Weak supervision vs gold labels</h2>"
        f"<p>The same search trained on {reference['train_rows']} hand-labeled pool rows "
        f"(best family: {html.escape(str(reference['family']))}).</p>"
        f"{table_html(pd.DataFrame(rows).set_index('metric'))}</section>"
    )


def _annotations(annotations: dict[str, Any]) -> str:
    missing = annotations.get("missing", 0)
    gone = f" {missing} annotated id(s) are no longer in the pool." if missing else ""
    return (
        "<section><h2>Hand annotations</h2>"
        f"<p><b>{annotations['used']}</b> hand-annotated rows used in training "
        f"(annotations v{annotations['version']}, from <code>headrace annotate</code>), each with its "
        "hand label instead of the label model's. The hand label differs from the label model's "
        f"guess on {annotations['differ_from_label_model']} of them; {annotations['uncovered']} "
        f"had no LF vote.{gone}</p></section>"
    )


def _search(search: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    done = [t for t in search["trials"] if t["value"] is not None]
    best: list[float] = []
    for trial in done:
        best.append(max(trial["value"], best[-1]) if best else trial["value"])
    history = go.Figure()
    for family in sorted({t["family"] for t in done}):
        mine = [t for t in done if t["family"] == family]
        history.add_scatter(
            x=[t["number"] for t in mine], y=[t["value"] for t in mine], mode="markers", name=family
        )
    history.add_scatter(x=[t["number"] for t in done], y=best, mode="lines", name="best so far")
    history.update_layout(
        title=f"Search history: dev {search['metric']} per trial", xaxis_title="trial", height=380
    )
    parts = [figure_html(history)]
    if search.get("importances"):
        names = sorted(search["importances"], key=search["importances"].get)
        importance = go.Figure(go.Bar(x=[search["importances"][n] for n in names], y=names, orientation="h"))
        importance.update_layout(title=f"Parameter importance ({search['family']})", height=320)
        parts.append(figure_html(importance))
    summary = (
        f"<p>best: <b>{html.escape(search['family'])}</b> {html.escape(str(search['params']))} · "
        f"dev {search['metric']} {search['dev_score']:.3f} · threshold {search['threshold']} · "
        f"{search['n_trials']} trials ({search['n_pruned']} pruned) in {search['wall_seconds']:.1f}s</p>"
    )
    return f"<section><h2>Model search</h2>{summary}{''.join(parts)}</section>"


def _validation(validation: dict[str, Any]) -> str:
    reports = validation["reports"]
    rows = sum(r["rows"] for r in reports)
    where = html.escape(Path(validation["constraints"]).name)
    origin = ""
    if validation["inferred"]:
        origin = " (inferred from this run's snapshot: edit it to tighten or relax a rule)"
    found = [(r["source"], v) for r in reports for v in r["violations"]]
    if not found:
        status = "<p class=ok><b>every rule holds</b></p>"
    else:
        status = f"<p class=breach><b>{len(found)} soft violation(s)</b>: reported, the run went on</p>"
    intro = f"<p>{rows} rows in {len(reports)} snapshot(s) checked against <code>{where}</code>{origin}.</p>"
    if not found:
        return f"<section><h2>Data validation</h2>{intro}{status}</section>"
    table = pd.DataFrame(
        [
            {
                "source": source,
                "column": v["column"],
                "rule": v["rule"],
                "severity": v["severity"],
                "rows": v["count"],
                "share": f"{v['rate']:.1%}",
                "examples": "; ".join(f"{e['id']!r} = {e['value']!r}" for e in v["examples"]),
            }
            for source, v in found
        ]
    ).set_index("source")
    return f"<section><h2>Data validation</h2>{intro}{status}{table_html(table)}</section>"
