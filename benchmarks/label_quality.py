"""How good are the training labels? Every headrace label model against Snorkel 0.10.

Usage (from the repository root)::

    python benchmarks/label_quality.py            # full grid: 20,000-row settings, 3 seeds each
    python benchmarks/label_quality.py --quick    # a few small settings, for a smoke test
    python benchmarks/label_quality.py --seeds 1 --no-snorkel   # one seed, headrace only

Models compared, each fitted on the same label matrices:

* every entry of ``headrace.supervision.LABEL_MODELS``, read at run time (models may
  come and go), built as ``LABEL_MODELS[name](cardinality)``;
* the default ``headrace.supervision.LabelModel(cardinality=k)``, as ``default``;
* Snorkel 0.10's ``LabelModel`` (MeTaL), ``fit(L, n_epochs=500, seed=seed,
  class_balance=None)``, run in its own venv (``peer_env.py``) by
  ``_snorkel_label_model.py`` with the matrices passed as ``.npy`` files.

Every headrace model is fitted with ``fit(L, L_dev=..., y_dev=...)`` where a gold dev
split exists; Snorkel's ``fit`` takes no dev labels (its ``Y_dev`` only sets the class
balance, which the protocol leaves at ``None``). Predictions are the arg-max of
``predict_proba`` with ties to the lowest class, for Snorkel too (its own ``predict``
abstains on ties).

Settings:

* synthetic, from ``headrace.supervision.synthetic.make_label_matrix``: binary and
  6-class, balanced and skewed, 5/30/150 LFs, low (0.01–0.1) and high (0.1–0.6)
  coverage, with and without correlated LFs (copies of another LF), multipolar and
  unipolar LFs; ``n_rows`` rows to fit and score on, plus a 500-row dev split drawn
  from the same distribution. Score: accuracy, except F1 of class 1 for skewed
  binary settings. Also the mean absolute error of the learned LF accuracies
  (``accuracies_``; Snorkel's ``get_weights()``) against the generating ones.
* real LF sets: the bundled ``examples/youtube-spam`` and ``examples/sms-spam``
  projects. Their LFs are applied with ``headrace.supervision.apply_lfs`` to the pool,
  gold dev and gold test; models are fitted on the pool (+ dev) and scored on gold
  test: accuracy and F1 of spam (the score). The pool's withheld truth
  (``pool_labels.csv``), where present, gives the quality of the training labels
  themselves (``pool_accuracy``, ``pool_f1``; the pipeline never reads it).

Output: one JSON object on stdout, the same in ``benchmarks/results/label_quality.json``;
markdown tables (setting × model) on stderr. For each setting the JSON says whether the
default label model scores at least as well as majority vote, and as the best of
majority vote, Dawid–Skene and Snorkel.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import peer_env  # noqa: E402  (a sibling module, not a package)

RESULTS = HERE / "results" / "label_quality.json"
PEER_SCRIPT = HERE / "_snorkel_label_model.py"
REAL_PROJECTS = {
    "youtube-spam": REPO_ROOT / "examples" / "youtube-spam",
    "sms-spam": REPO_ROOT / "examples" / "sms-spam",
}

DEFAULT = "default"
SNORKEL = "snorkel"
MAJORITY = "majority"
DAWID_SKENE = "dawid_skene"
#: The strongest of these is the bar the default label model is held to.
BASELINES = (MAJORITY, DAWID_SKENE, SNORKEL)
#: The summary also counts settings where the default trails the best baseline by at
#: most this much (the comparisons themselves are strict).
TOLERANCE = 0.005

LOW, HIGH = (0.01, 0.1), (0.1, 0.6)
SKEW6 = (0.5, 0.2, 0.1, 0.1, 0.05, 0.05)

IntMatrix = npt.NDArray[np.int8]
IntVector = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


# --- settings --------------------------------------------------------------------------


@dataclass(frozen=True)
class Synthetic:
    """One synthetic setting: the arguments of ``make_label_matrix`` that vary."""

    name: str
    cardinality: int
    n_lfs: int
    coverage: tuple[float, float]
    class_balance: tuple[float, ...] | None = None
    correlated: int = 0
    unipolar: bool = False

    @property
    def skewed_binary(self) -> bool:
        return self.cardinality == 2 and self.class_balance is not None and min(self.class_balance) < 0.5

    @property
    def metric(self) -> str:
        return "f1" if self.skewed_binary else "accuracy"


def _binary(balance: str, n_lfs: int, cov: str, corr: int = 0, uni: bool = False) -> Synthetic:
    prior = None if balance == "50" else (0.9, 0.1)
    name = f"bin{balance} m{n_lfs} {cov}" + (f" +{corr}corr" if corr else "") + (" uni" if uni else "")
    return Synthetic(name, 2, n_lfs, LOW if cov == "low" else HIGH, prior, corr, uni)


def _six(n_lfs: int, cov: str, corr: int = 0, skew: bool = False) -> Synthetic:
    name = f"6cls{' skew' if skew else ''} m{n_lfs} {cov}" + (f" +{corr}corr" if corr else "")
    return Synthetic(name, 6, n_lfs, LOW if cov == "low" else HIGH, SKEW6 if skew else None, corr)


#: The grid: binary 50/50 (accuracy), binary 90/10 (F1 of class 1), 6-class (accuracy).
GRID: tuple[Synthetic, ...] = (
    _binary("50", 5, "high"),
    _binary("50", 30, "low"),
    _binary("50", 30, "high"),
    _binary("50", 30, "high", corr=10),
    _binary("50", 150, "low"),
    _binary("50", 150, "high", corr=30),
    _binary("50", 30, "high", uni=True),
    _binary("90", 5, "high"),
    _binary("90", 30, "low"),
    _binary("90", 30, "high"),
    _binary("90", 30, "high", corr=10),
    _binary("90", 150, "low"),
    _binary("90", 30, "high", uni=True),
    _binary("90", 150, "low", uni=True),
    _six(5, "high"),
    _six(30, "low"),
    _six(30, "high", corr=10),
    _six(150, "low"),
    _six(30, "high", skew=True),
)
QUICK_GRID: tuple[Synthetic, ...] = (
    _binary("50", 30, "high", corr=10),
    _binary("90", 30, "low"),
    _binary("90", 30, "high", uni=True),
    _six(30, "low"),
)


@dataclass
class Task:
    """Label matrices of one setting (and seed), with the truth to score against."""

    setting: str
    kind: str  # "synthetic" or "real"
    seed: int
    cardinality: int
    metric: str
    L_fit: IntMatrix
    L_eval: IntMatrix
    y_eval: IntVector
    L_dev: IntMatrix | None = None
    y_dev: IntVector | None = None
    true_accuracies: FloatArray | None = None
    L_pool_truth: IntMatrix | None = None  # real sets: the pool again, scored against y_pool
    y_pool: IntVector | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def eval_is_fit(self) -> bool:
        return self.L_eval is self.L_fit


def synthetic_task(setting: Synthetic, *, n_rows: int, n_dev: int, seed: int) -> Task:
    """Draw ``n_rows + n_dev`` rows from one generator; the last ``n_dev`` are gold dev."""
    from headrace.supervision.synthetic import make_label_matrix

    data = make_label_matrix(
        n_rows + n_dev,
        setting.n_lfs,
        cardinality=setting.cardinality,
        class_balance=setting.class_balance,
        coverage=setting.coverage,
        correlated=setting.correlated,
        unipolar=setting.unipolar,
        seed=seed,
    )
    L, y = np.asarray(data.L, dtype=np.int8), np.asarray(data.y, dtype=np.int64)
    L_fit = L[:n_rows]
    return Task(
        setting=setting.name,
        kind="synthetic",
        seed=seed,
        cardinality=setting.cardinality,
        metric=setting.metric,
        L_fit=L_fit,
        L_eval=L_fit,
        y_eval=y[:n_rows],
        L_dev=L[n_rows:],
        y_dev=y[n_rows:],
        true_accuracies=np.asarray(data.accuracies, dtype=np.float64),
        info={
            "n_rows": n_rows,
            "n_dev": n_dev,
            "n_lfs": int(L.shape[1]),
            "cardinality": setting.cardinality,
            "class_balance": [round(float(p), 4) for p in data.class_balance],
            "coverage": list(setting.coverage),
            "correlated": setting.correlated,
            "unipolar": setting.unipolar,
            "label_density": round(float(np.mean(L_fit >= 0) * L.shape[1]), 3),
        },
    )


def real_task(name: str, root: Path) -> Task:
    """Apply a bundled project's LFs to its pool, gold dev and gold test."""
    import pyarrow.csv as pa_csv

    from headrace.project import import_project_module, load_project
    from headrace.supervision import apply_lfs, collect_lfs

    project = load_project(root)
    config = project.config
    if config.data.gold is None or config.data.gold.test is None or config.data.gold.dev is None:
        raise ValueError(f"{root}: the benchmark needs gold dev and test files")
    lfs = collect_lfs(import_project_module(project.path(config.supervision.functions)))
    labels = list(config.task.labels)
    k = len(labels)
    id_column, label_column = config.data.id, config.data.gold.label

    def read(path: Path) -> Any:
        return pa_csv.read_csv(
            path,
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(strings_can_be_null=False),
        )

    def matrix(table: Any) -> IntMatrix:
        applied = apply_lfs(lfs, table, id_column=id_column, cardinality=k)
        return np.asarray(applied.matrix.values, dtype=np.int8)

    def classes(values: list[Any]) -> IntVector:
        return np.asarray([labels.index(str(v)) for v in values], dtype=np.int64)

    pool_paths = [project.path(p) for p in config.data.unlabeled_patterns]
    pools = [read(path) for path in pool_paths]
    import pyarrow as pa

    pool = pa.concat_tables(pools, promote_options="permissive")
    dev = read(project.path(config.data.gold.dev))
    test = read(project.path(config.data.gold.test))
    L_pool, L_dev, L_test = matrix(pool), matrix(dev), matrix(test)
    task = Task(
        setting=f"real: {name}",
        kind="real",
        seed=0,
        cardinality=k,
        metric="f1" if k == 2 else "accuracy",
        L_fit=L_pool,
        L_eval=L_test,
        y_eval=classes(test[label_column].to_pylist()),
        L_dev=L_dev,
        y_dev=classes(dev[label_column].to_pylist()),
        info={
            "project": str(root.relative_to(REPO_ROOT)),
            "n_lfs": len(lfs),
            "lfs": [lf.name for lf in lfs],
            "n_pool": pool.num_rows,
            "n_dev": dev.num_rows,
            "n_test": test.num_rows,
            "pool_coverage": round(float(np.mean((L_pool >= 0).any(axis=1))), 4),
            "test_coverage": round(float(np.mean((L_test >= 0).any(axis=1))), 4),
            "positive_class": labels[1] if k == 2 else None,
        },
    )
    truth = root / "data" / "pool_labels.csv"
    if truth.is_file():
        # The withheld truth: only the benchmark reads it, to score the training labels.
        table = read(truth)
        by_id = dict(zip(table[id_column].to_pylist(), table[label_column].to_pylist(), strict=True))
        task.L_pool_truth = L_pool
        task.y_pool = classes([by_id[i] for i in pool[id_column].to_pylist()])
    return task


# --- scoring ---------------------------------------------------------------------------


def scores(pred: IntVector, y: IntVector, k: int) -> dict[str, float]:
    """Accuracy, and for binary tasks the F1 of class 1."""
    out = {"accuracy": float(np.mean(pred == y)) if len(y) else math.nan}
    if k == 2:
        tp = float(np.sum((pred == 1) & (y == 1)))
        denom = float(np.sum(pred == 1) + np.sum(y == 1))
        out["f1"] = 2.0 * tp / denom if denom else 0.0
    return out


def argmax_lowest(proba: FloatArray) -> IntVector:
    """Arg-max with ties to the lowest class index (``np.argmax`` does exactly that)."""
    return np.asarray(np.argmax(proba, axis=1), dtype=np.int64)


def learned_accuracies(model: Any) -> FloatArray | None:
    """The model's ``accuracies_`` where it exposes them, else ``None``."""
    try:
        value = getattr(model, "accuracies_", None)
    except Exception:
        return None
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float64)
    return array if array.ndim == 1 else None


def score_model(task: Task, proba_eval: FloatArray, proba_pool: FloatArray | None = None) -> dict[str, Any]:
    result: dict[str, Any] = scores(argmax_lowest(proba_eval), task.y_eval, task.cardinality)
    result["score"] = result[task.metric]
    if proba_pool is not None and task.y_pool is not None:
        pool = scores(argmax_lowest(proba_pool), task.y_pool, task.cardinality)
        result.update({f"pool_{key}": value for key, value in pool.items()})
    return result


def accuracy_mae(task: Task, learned: FloatArray | None) -> float | None:
    if learned is None or task.true_accuracies is None or learned.shape != task.true_accuracies.shape:
        return None
    return float(np.mean(np.abs(learned - task.true_accuracies)))


def headrace_models() -> tuple[dict[str, Callable[[int], Any]], str | None]:
    """Every headrace label model to compare, as ``name -> factory(cardinality)``.

    Also returns the ``LABEL_MODELS`` entry that builds exactly the default model
    (same class, same parameters), if any: the default's results are then that
    entry's, not a second identical fit.
    """
    from headrace import supervision

    models: dict[str, Callable[[int], Any]] = dict(supervision.LABEL_MODELS)
    default = supervision.LabelModel
    models[DEFAULT] = lambda k: default(cardinality=k)
    alias = next(
        (name for name in supervision.LABEL_MODELS if _same_model(models[name], models[DEFAULT])), None
    )
    return models, alias


def _same_model(a: Callable[[int], Any], b: Callable[[int], Any]) -> bool:
    """Whether two factories build models of one class with equal parameters."""
    try:
        for k in (2, 6):
            x, y = a(k), b(k)
            if type(x) is not type(y) or set(vars(x)) != set(vars(y)):
                return False
            if any(not _equal(vars(x)[key], vars(y)[key]) for key in vars(x)):
                return False
        return True
    except Exception:
        return False


def _equal(x: Any, y: Any) -> bool:
    try:
        return bool(np.array_equal(np.asarray(x), np.asarray(y)))
    except Exception:
        return x is y


def default_model_name() -> str:
    from headrace import supervision

    default = supervision.LabelModel
    return getattr(default, "__name__", type(default).__name__)


def run_headrace(task: Task, name: str, factory: Callable[[int], Any]) -> dict[str, Any]:
    try:
        start = time.perf_counter()
        model = factory(task.cardinality)
        model.fit(task.L_fit, L_dev=task.L_dev, y_dev=task.y_dev)
        seconds = time.perf_counter() - start
        proba_eval = np.asarray(model.predict_proba(task.L_eval), dtype=np.float64)
        proba_pool = None
        if task.L_pool_truth is not None:
            proba_pool = np.asarray(model.predict_proba(task.L_pool_truth), dtype=np.float64)
        result = score_model(task, proba_eval, proba_pool)
        result["accuracy_mae"] = accuracy_mae(task, learned_accuracies(model))
        result["fit_seconds"] = seconds
        return result
    except Exception as exc:
        print(f"[label_quality] {name} failed on {task.setting!r}: {exc}", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return {"error": f"{type(exc).__name__}: {exc}"}


# --- Snorkel, in its own venv ------------------------------------------------------------


def run_snorkel(tasks: list[Task]) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """Fit Snorkel's LabelModel on every task in one peer process; results by task index."""
    with tempfile.TemporaryDirectory(prefix="headrace-label-quality-") as tmp:
        job_dir = Path(tmp)
        jobs = []
        for i, task in enumerate(tasks):
            np.save(job_dir / f"t{i}.fit.npy", task.L_fit)
            predict = f"t{i}.fit.npy"
            if not task.eval_is_fit:
                # Real sets: predict on test rows and the pool in one matrix, split after.
                stacked = task.L_eval if task.L_pool_truth is None else np.vstack([task.L_eval, task.L_fit])
                np.save(job_dir / f"t{i}.predict.npy", stacked)
                predict = f"t{i}.predict.npy"
            jobs.append(
                {
                    "name": f"t{i}",
                    "fit": f"t{i}.fit.npy",
                    "predict": predict,
                    "cardinality": task.cardinality,
                    "seed": task.seed,
                }
            )
        (job_dir / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
        try:
            peer_env.run_in_peer(SNORKEL, PEER_SCRIPT, str(job_dir))
        except Exception as exc:
            detail = getattr(exc, "stderr", "") or ""
            message = f"{type(exc).__name__}: {exc} {detail[-2000:]}".strip()
            print(f"[label_quality] Snorkel did not run: {message}", file=sys.stderr)
            return {i: {"error": message} for i in range(len(tasks))}, {"error": message}
        payload = json.loads((job_dir / "results.json").read_text(encoding="utf-8"))
        out: dict[int, dict[str, Any]] = {}
        for i, task in enumerate(tasks):
            peer = payload["results"][f"t{i}"]
            if "error" in peer:
                print(f"[label_quality] snorkel failed on {task.setting!r}: {peer['error']}", file=sys.stderr)
                out[i] = {"error": peer["error"]}
                continue
            proba = np.load(job_dir / f"t{i}.proba.npy")
            n_eval = len(task.L_eval)
            proba_pool = proba[n_eval:] if task.L_pool_truth is not None else None
            result = score_model(task, proba[:n_eval], proba_pool)
            result["accuracy_mae"] = accuracy_mae(task, np.load(job_dir / f"t{i}.weights.npy"))
            result["fit_seconds"] = float(peer["seconds"])
            out[i] = result
        return out, {"version": payload["snorkel_version"]}


# --- aggregation and report ------------------------------------------------------------


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(present)) if present and len(present) == len(values) else None


def aggregate(tasks: list[Task], per_task: list[dict[str, dict[str, Any]]], models: list[str]) -> list[dict]:
    """Average over seeds per setting; compare the default with the baselines."""
    settings: dict[str, list[int]] = {}
    for i, task in enumerate(tasks):
        settings.setdefault(task.setting, []).append(i)
    rows = []
    for setting, indices in settings.items():
        first = tasks[indices[0]]
        results: dict[str, dict[str, Any]] = {}
        for model in models:
            runs = [per_task[i].get(model, {"error": "not run"}) for i in indices]
            errors = [r["error"] for r in runs if "error" in r]
            if errors:
                results[model] = {"error": errors[0]}
                continue
            keys = sorted({key for r in runs for key in r})
            results[model] = {key: _mean([r.get(key) for r in runs]) for key in keys}
            if len(runs) > 1:
                results[model]["score_std"] = float(np.std([r["score"] for r in runs]))
        row: dict[str, Any] = {
            "setting": setting,
            "kind": first.kind,
            "metric": first.metric,
            "seeds": [tasks[i].seed for i in indices],
            **first.info,
            "results": results,
        }
        row.update(compare_default(results))
        rows.append(row)
    return rows


def _score(results: dict[str, dict[str, Any]], model: str) -> float | None:
    value = results.get(model, {}).get("score")
    return None if value is None else float(value)


def compare_default(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    default = _score(results, DEFAULT)
    majority = _score(results, MAJORITY)
    baselines = {name: _score(results, name) for name in BASELINES}
    present = {name: value for name, value in baselines.items() if value is not None}
    best_name = max(present, key=lambda name: present[name]) if present else None
    out: dict[str, Any] = {
        "default_ge_majority": None if default is None or majority is None else default >= majority,
        "default_minus_majority": None if default is None or majority is None else default - majority,
        "best_baseline": best_name,
        "default_ge_best_baseline": None,
        "default_minus_best_baseline": None,
    }
    if default is not None and best_name is not None:
        out["default_ge_best_baseline"] = default >= present[best_name]
        out["default_minus_best_baseline"] = default - present[best_name]
    return out


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "**no**"
    return f"{value:.{digits}f}"


def markdown(rows: list[dict[str, Any]], models: list[str], note: str = "") -> str:
    """Setting × model tables: the score, then the LF-accuracy error, then fit seconds."""

    def cell(row: dict[str, Any], model: str, key: str, digits: int) -> str:
        result = row["results"].get(model, {})
        if "error" in result:
            return "error"
        text = _fmt(result.get(key), digits)
        if key == "score" and result.get(key) is not None:
            best = max(
                (r["score"] for r in row["results"].values() if r.get("score") is not None),
                default=None,
            )
            if best is not None and result["score"] >= best - 1e-12:
                text = f"**{text}**"
        return text

    tail = " | default ≥ MV | default ≥ best(MV, DS, Snorkel) |"
    head = "| setting | metric | " + " | ".join(models) + tail
    rule = "|" + "---|" * (len(models) + 4)
    lines = ["### Score (accuracy, or F1 of class 1 for skewed binary and real sets)", ""]
    lines += [note, ""] if note else []
    lines += [head, rule]
    for row in rows:
        cells = [cell(row, m, "score", 3) for m in models]
        best = row["best_baseline"] or "–"
        margin = row["default_minus_best_baseline"]
        ge_best = _fmt(row["default_ge_best_baseline"])
        if margin is not None:
            ge_best += f" ({margin:+.3f} vs {best})"
        lines.append(
            f"| {row['setting']} | {row['metric']} | "
            + " | ".join(cells)
            + f" | {_fmt(row['default_ge_majority'])} | {ge_best} |"
        )
    lines += ["", "### Mean absolute error of learned LF accuracies (synthetic)", ""]
    lines += ["| setting | " + " | ".join(models) + " |", "|" + "---|" * (len(models) + 1)]
    for row in rows:
        if row["kind"] == "synthetic":
            lines.append(
                f"| {row['setting']} | " + " | ".join(cell(row, m, "accuracy_mae", 3) for m in models) + " |"
            )
    real = [row for row in rows if row["kind"] == "real"]
    if real:
        lines += ["", "### Real LF sets: gold test accuracy / F1 of spam (pool training labels F1)", ""]
        lines += ["| setting | " + " | ".join(models) + " |", "|" + "---|" * (len(models) + 1)]
        for row in real:
            cells = []
            for m in models:
                r = row["results"].get(m, {})
                if "error" in r:
                    cells.append("error")
                    continue
                cells.append(f"{_fmt(r.get('accuracy'))} / {_fmt(r.get('f1'))} ({_fmt(r.get('pool_f1'))})")
            lines.append(f"| {row['setting']} | " + " | ".join(cells) + " |")
    lines += ["", "### Fit seconds", ""]
    lines += ["| setting | " + " | ".join(models) + " |", "|" + "---|" * (len(models) + 1)]
    for row in rows:
        lines.append(
            f"| {row['setting']} | " + " | ".join(cell(row, m, "fit_seconds", 2) for m in models) + " |"
        )
    return "\n".join(lines)


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    judged_mv = [r for r in rows if r["default_ge_majority"] is not None]
    judged_best = [r for r in rows if r["default_ge_best_baseline"] is not None]
    n_mv = sum(r["default_ge_majority"] for r in judged_mv)
    n_best = sum(r["default_ge_best_baseline"] for r in judged_best)
    n_near = sum(r["default_minus_best_baseline"] >= -TOLERANCE for r in judged_best)
    return {
        "settings": len(rows),
        "default_ge_majority": f"{n_mv}/{len(judged_mv)}",
        "default_ge_best_baseline": f"{n_best}/{len(judged_best)}",
        f"default_within_{TOLERANCE}_of_best_baseline": f"{n_near}/{len(judged_best)}",
        "default_below_majority": [r["setting"] for r in judged_mv if not r["default_ge_majority"]],
        "default_below_best_baseline": [
            f"{r['setting']} ({r['default_minus_best_baseline']:+.4f} vs {r['best_baseline']})"
            for r in judged_best
            if not r["default_ge_best_baseline"]
        ],
    }


def _clean(value: Any) -> Any:
    """JSON-safe: NaN becomes null, numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    return value


# --- main ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 synthetic settings of 5,000 rows")
    parser.add_argument("--rows", type=int, default=None, help="synthetic rows (default 20,000; quick 5,000)")
    parser.add_argument("--dev-rows", type=int, default=500, help="synthetic gold dev rows (default 500)")
    parser.add_argument(
        "--seeds", type=int, default=None, help="seeds per synthetic setting, averaged (default 3; quick 1)"
    )
    parser.add_argument("--no-snorkel", action="store_true", help="skip the Snorkel peer")
    parser.add_argument("--no-real", action="store_true", help="skip the bundled real LF sets")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON result file (default {RESULTS})")
    args = parser.parse_args(argv)
    n_rows = args.rows or (5_000 if args.quick else 20_000)
    grid = QUICK_GRID if args.quick else GRID
    n_seeds = args.seeds or (1 if args.quick else 3)
    started = time.perf_counter()

    import headrace

    models_hr, default_alias = headrace_models()
    tasks: list[Task] = []
    setup_errors: dict[str, str] = {}
    for setting in grid:
        for seed in range(n_seeds):
            try:
                tasks.append(synthetic_task(setting, n_rows=n_rows, n_dev=args.dev_rows, seed=seed))
            except Exception as exc:
                setup_errors[setting.name] = f"{type(exc).__name__}: {exc}"
                print(f"[label_quality] cannot build {setting.name!r}: {exc}", file=sys.stderr)
                break
    if not args.no_real:
        for name, root in REAL_PROJECTS.items():
            try:
                tasks.append(real_task(name, root))
            except Exception as exc:
                setup_errors[f"real: {name}"] = f"{type(exc).__name__}: {exc}"
                print(f"[label_quality] cannot build real set {name!r}: {exc}", file=sys.stderr)

    per_task: list[dict[str, dict[str, Any]]] = []
    for task in tasks:
        print(f"[label_quality] {task.setting} (seed {task.seed})", file=sys.stderr)
        results = {
            name: run_headrace(task, name, factory)
            for name, factory in models_hr.items()
            if not (name == DEFAULT and default_alias is not None)
        }
        if default_alias is not None:
            results[DEFAULT] = results[default_alias]
        per_task.append(results)

    model_names = list(models_hr)
    peers: dict[str, Any] = {}
    if not args.no_snorkel and tasks:
        print(f"[label_quality] Snorkel on {len(tasks)} tasks", file=sys.stderr)
        snorkel_results, peers[SNORKEL] = run_snorkel(tasks)
        for i, result in snorkel_results.items():
            per_task[i][SNORKEL] = result
        model_names.append(SNORKEL)

    rows = aggregate(tasks, per_task, model_names)
    report = {
        "benchmark": "label_quality",
        "quick": args.quick,
        "synthetic_rows": n_rows,
        "synthetic_dev_rows": args.dev_rows,
        "seeds": n_seeds,
        "headrace_version": headrace.__version__,
        "python": platform.python_version(),
        "models": model_names,
        "label_models": [m for m in model_names if m not in (DEFAULT, SNORKEL)],
        "default_label_model": default_model_name(),
        "default_same_as": default_alias,
        "peers": peers,
        "setup_errors": setup_errors,
        "settings_grid": [asdict(s) for s in grid],
        "summary": summary(rows),
        "rows": rows,
        "seconds": time.perf_counter() - started,
    }
    report = _clean(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    note = f"`default` is `headrace.supervision.LabelModel` ({report['default_label_model']})"
    if default_alias is not None:
        note += f", built exactly as LABEL_MODELS[{default_alias!r}]: its results are that entry's"
    print(markdown(rows, model_names, note + "."), file=sys.stderr)
    print(f"\nsummary: {json.dumps(report['summary'])}", file=sys.stderr)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
