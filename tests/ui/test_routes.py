"""Each dashboard route on a real project: what its page holds, its errors, and its guards."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from headrace.cli.ui_cmds import ui
from headrace.pipeline import analyze_lfs
from headrace.project import init_project, load_project
from headrace.registry import get_version, list_versions
from headrace.serve.auth import ApiKey
from headrace.store import Store
from headrace.ui import Dashboard, create_ui_app
from headrace.ui.app import LOOPBACK_HOSTS
from headrace.ui.cache import ObjectCache
from headrace.ui.charts import drift_score
from headrace.ui.lfs import lf_detail, lf_table
from headrace.ui.lineage import lineage_graph, object_view
from headrace.ui.queries import RunFilter, run_page
from tests.ui.conftest import API_KEY, dashboard_client


def run_count(project: Path) -> int:
    with Store.for_project(project) as store:
        return run_page(store, RunFilter(), offset=0, limit=1).total


def text_of(page: str) -> str:
    """The visible text of a page: tags dropped, entities decoded, spaces collapsed."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def snapshot_id(project: Path, role: str = "unlabeled") -> str:
    with Store.for_project(project) as store:
        label = store.runs.recent(kind="ingest", limit=1)[0]
        return label.outputs[role]


# -- overview --------------------------------------------------------------------------


def test_overview_shows_the_production_model_its_scores_open_alerts_and_latest_runs(
    client: TestClient,
) -> None:
    page = client.get("/")

    assert page.status_code == 200
    text = text_of(page.text)
    assert "youtube-spam" in text
    assert "production model v1" in text
    assert re.search(r"accuracy 0\.9\d\d", text)
    # The SMS windows drift: the newest monitor run's breaches are the open alerts.
    assert "drift_share" in text and "max_accuracy_drop" in text
    assert "pipeline" in text and "succeeded" in text


def test_every_page_carries_a_content_security_policy_and_loads_no_outside_script(client: TestClient) -> None:
    for path in ("/", "/lfs", "/runs", "/models", "/models/1", "/monitoring"):
        page = client.get(path)
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"
        sources = re.findall(r'<script[^>]+src="([^"]+)"', page.text)
        assert sources and all(s.startswith("/") for s in sources), sources


def test_plotly_is_served_from_the_installed_package_compressed_and_cached(client: TestClient) -> None:
    page = client.get("/monitoring")
    [plotly] = [s for s in re.findall(r'src="([^"]+)"', page.text) if "plotly" in s]

    script = client.get(plotly, headers={"accept-encoding": "gzip"})

    assert script.status_code == 200
    assert script.headers["content-encoding"] == "gzip"
    assert "immutable" in script.headers["cache-control"]
    assert len(script.content) > 3_000_000  # decoded by the client: the whole plotly.js
    assert client.get("/vendor/plotly-0.0.0.min.js").status_code == 404
    assert client.get("/static/ui.css").status_code == 200


# -- labeling functions ----------------------------------------------------------------


def test_lf_table_equals_the_summary_headrace_lfs_computes(built: Path, project: Path) -> None:
    with Store.for_project(built) as store:
        table = lf_table(store, ObjectCache(store))
    expected = analyze_lfs(project).summary  # recomputes on a copy

    assert table is not None
    assert [row.name for row in table.rows] == sorted(expected.index)
    for row in table.rows:
        for column in ("coverage", "overlaps", "conflicts", "emp_accuracy", "learned_accuracy", "failures"):
            assert row.values[column] == pytest.approx(float(expected.loc[row.name, column])), (
                row.name,
                column,
            )
        assert row.values["seconds"] == pytest.approx(float(expected.loc[row.name, "seconds"]), abs=0.5)
    assert table.label_model is not None


def test_lf_pages_read_what_was_stored_and_start_no_run(built: Path, client: TestClient) -> None:
    before = run_count(built)

    assert client.get("/lfs").status_code == 200
    assert client.get("/lfs/has_url").status_code == 200

    assert run_count(built) == before


def test_lf_table_sorts_by_any_column_and_refuses_an_unknown_one(built: Path, client: TestClient) -> None:
    with Store.for_project(built) as store:
        table = lf_table(store, ObjectCache(store), sort="conflicts", descending=True)
    assert table is not None
    conflicts = [row.values["conflicts"] for row in table.rows]
    assert conflicts == sorted(conflicts, reverse=True)  # type: ignore[type-var]

    page = client.get("/lfs?sort=conflicts&order=desc")
    assert re.findall(r'class="lf" href="/lfs/(\w+)"', page.text) == [row.name for row in table.rows]
    assert 'aria-sort="descending"' in page.text

    bad = client.get("/lfs?sort=popularity")
    assert bad.status_code == 400
    assert "query parameter 'sort' must be one of" in text_of(bad.text)


def test_lf_detail_shows_rows_it_fires_on_and_rows_where_lfs_disagree(built: Path) -> None:
    with Store.for_project(built) as store:
        cache = ObjectCache(store)
        detail = lf_detail(store, cache, "long_comment", limit=10)
        table = lf_table(store, cache)

    assert table is not None
    [summary] = [row for row in table.rows if row.name == "long_comment"]
    assert detail.fires_total == round(summary.values["coverage"] * table.context.matrix.n_rows)  # type: ignore[operator]
    assert len(detail.fires) == 10
    assert all(row.votes["long_comment"] == "spam" for row in detail.fires)
    assert "content" in detail.columns
    assert detail.disagreements_total > 0
    assert all(row.disagreeing and row.votes["long_comment"] == "spam" for row in detail.disagreements)
    assert all(row.votes[name] == "ham" for row in detail.disagreements for name in row.disagreeing)
    assert detail.source is not None and "length >= 120" in detail.source
    # Edited once: two stored versions, the newest is the one the newest label run used.
    newest, first = detail.history
    assert newest.current and not first.current
    assert newest.created_at > first.created_at
    assert newest.applied_runs == first.applied_runs == 2  # on the pool and on gold dev
    assert newest.coverage is not None and first.coverage is not None
    assert newest.coverage > first.coverage  # a lower length threshold fires on more rows


def test_lf_detail_pages_through_the_rows(built: Path, client: TestClient) -> None:
    with Store.for_project(built) as store:
        cache = ObjectCache(store)
        first = lf_detail(store, cache, "has_url", limit=5)
        second = lf_detail(store, cache, "has_url", limit=5, fires_offset=5)

    assert len(first.fires) == len(second.fires) == 5
    assert {r.row_id for r in first.fires}.isdisjoint({r.row_id for r in second.fires})
    [version] = first.history
    assert version.current
    page = client.get("/lfs/has_url?limit=5&fires_page=2")
    assert all(row.row_id in page.text for row in second.fires)
    assert client.get("/lfs/has_url?limit=0").status_code == 400


def test_an_unknown_lf_is_a_404_that_lists_the_lfs(client: TestClient) -> None:
    page = client.get("/lfs/no_such_lf")

    assert page.status_code == 404
    assert "no labeling function named 'no_such_lf'" in text_of(page.text)
    assert "has_url" in page.text


# -- runs ------------------------------------------------------------------------------


def test_run_list_paginates_and_filters_by_kind_status_and_id(built: Path, client: TestClient) -> None:
    total = run_count(built)
    first = client.get("/runs?size=10")
    second = client.get("/runs?size=10&page=2")
    ids_first = set(re.findall(r'href="/runs/([0-9a-f]{32})"', first.text))
    ids_second = set(re.findall(r'href="/runs/([0-9a-f]{32})"', second.text))

    assert f"Runs ({total})" in text_of(first.text)
    assert len(ids_first) == len(ids_second) == 10
    assert ids_first.isdisjoint(ids_second)
    assert f"page 1 of {-(-total // 10)}" in first.text

    assert "Runs (2)" in text_of(client.get("/runs?kind=label").text)
    some_id = next(iter(ids_first))
    by_id = client.get(f"/runs?q={some_id[:8]}")
    assert some_id in by_id.text
    assert "Runs (0)" in text_of(client.get("/runs?status=failed").text)
    assert client.get("/runs?status=lost").status_code == 400
    assert "'page' must be at least 1" in text_of(client.get("/runs?page=0").text)


def test_run_page_shows_inputs_outputs_and_child_runs(built: Path, client: TestClient) -> None:
    with Store.for_project(built) as store:
        label = store.runs.recent(kind="label")[-1]  # the first: it applied every LF

    page = client.get(f"/runs/{label.id[:10]}")

    assert page.status_code == 200
    text = text_of(page.text)
    assert "lf:has_url" in text and "label_matrix" in text
    assert f'href="/objects/{label.outputs["label_matrix"]}"' in page.text
    assert "Runs inside it (24)" in text  # 12 LFs on the pool and on gold dev
    assert client.get("/runs/ffffffffffff").status_code == 404


def test_run_errors_and_every_stored_text_are_escaped(project: Path) -> None:
    with (
        Store.for_project(project) as store,
        pytest.raises(RuntimeError),
        store.runs.recording("label", params={"note": "<b>bold</b>"}),
    ):
        raise RuntimeError("<script>alert('x')</script>")
    with dashboard_client(project, None) as client:
        runs = client.get("/runs?status=failed")
        [run_id] = re.findall(r'href="/runs/([0-9a-f]{32})"', runs.text)
        detail = client.get(f"/runs/{run_id}")
        for page in (runs.text, detail.text):
            assert "<script>alert" not in page
            assert "&lt;script&gt;alert(" in page
        assert "<b>bold</b>" not in detail.text


# -- lineage ---------------------------------------------------------------------------


def test_lineage_graph_links_the_model_to_labels_matrix_lfs_and_snapshot(
    built: Path, client: TestClient
) -> None:
    with Store.for_project(built) as store:
        graph = lineage_graph(store, "production")

    kinds = [node.kind for node in graph.nodes]
    assert kinds[0] == "model" and graph.nodes[0].label == "model v1"
    assert {"training_labels", "label_matrix", "snapshot"} <= set(kinds)
    assert kinds.count("lf") == 12
    ids = {node.object_id for node in graph.nodes}
    assert all(edge.source in ids and edge.target in ids for edge in graph.edges)
    # The model sits left of everything it came from.
    assert all(node.x > graph.nodes[0].x for node in graph.nodes[1:])

    page = client.get("/models/production/lineage")
    assert all(f'href="/objects/{oid}"' in page.text for oid in ids)
    assert client.get("/models/v9/lineage").status_code == 404


def test_a_snapshot_page_lists_every_model_trained_on_it(built: Path, client: TestClient) -> None:
    with Store.for_project(built) as store:
        view = object_view(store, ObjectCache(store), snapshot_id(built))
        versions = {v.version for v in list_versions(store)}

    assert view.producer is not None and view.producer.kind == "ingest"
    registered = {version for _, version in view.models if version is not None}
    assert registered == versions == {1, 2}
    assert any(version is None for _, version in view.models)  # the gold-label reference model
    page = client.get(f"/objects/{snapshot_id(built)}")
    assert 'href="/models/1"' in page.text and 'href="/models/2"' in page.text
    assert "First rows" in page.text


def test_an_object_page_of_a_test_snapshot_has_no_models_and_unknown_objects_are_404(
    built: Path, client: TestClient
) -> None:
    page = client.get(f"/objects/{snapshot_id(built, 'gold_test')}")

    assert "no model was made from this object" in page.text
    assert client.get("/objects/" + "0" * 64).status_code == 404
    assert client.get("/objects/not-an-id").status_code == 404


# -- models ----------------------------------------------------------------------------


def test_models_page_lists_versions_aliases_and_history(client: TestClient) -> None:
    text = text_of(client.get("/models").text)

    assert re.search(r"v2 staging .* v1 production", text)
    assert "promote" in text and "first release" in text


def test_model_page_shows_scores_slices_calibration_and_report_links(client: TestClient) -> None:
    page = client.get("/models/1")
    text = text_of(page.text)

    assert page.status_code == 200
    assert "Slices (gold test)" in text and "short_comment" in text
    assert 'data-figure="figure-confusion"' in page.text
    assert 'data-figure="figure-reliability"' in page.text
    assert 'href="/reports/report.html"' in page.text
    assert client.get("/reports/report.html").status_code == 200
    assert client.get("/reports/headrace.yaml").status_code == 404


def test_without_a_key_the_dashboard_is_read_only(readonly: TestClient, project: Path) -> None:
    page = readonly.get("/models/2")
    assert "<form" not in page.text.split('id="promote"')[1]
    assert "Read-only" in page.text

    refused = readonly.post(
        "/models/2/promote", data={"alias": "production", "api_key": "x", "confirm": "yes"}
    )

    assert refused.status_code == 403
    assert "started without HEADRACE_API_KEY" in refused.text
    with Store.for_project(project) as store:
        assert get_version(store, "production").version == 1


@pytest.mark.parametrize(
    ("form", "headers", "status", "message"),
    [
        ({"alias": "production", "confirm": "yes"}, {}, 401, "missing API key"),
        ({"alias": "production", "confirm": "yes", "api_key": "guess"}, {}, 401, "wrong API key"),
        ({"alias": "production", "api_key": API_KEY}, {}, 400, "not confirmed"),
        ({"alias": "production", "api_key": API_KEY, "confirm": "on"}, {}, 400, "not confirmed"),
        ({"alias": "", "api_key": API_KEY, "confirm": "yes"}, {}, 400, "choose the alias"),
        ({"alias": "3", "api_key": API_KEY, "confirm": "yes"}, {}, 400, "cannot be an alias"),
        (
            {"alias": "production", "api_key": API_KEY, "confirm": "yes"},
            {"origin": "http://evil.example"},
            403,
            "another site",
        ),
    ],
)
def test_promote_needs_the_key_and_a_confirmation(
    writable: TestClient,
    project: Path,
    form: dict[str, str],
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    answer = writable.post("/models/2/promote", data=form, headers=headers, follow_redirects=False)

    assert answer.status_code == status
    assert message in answer.text
    with Store.for_project(project) as store:
        assert get_version(store, "production").version == 1


def test_forms_are_read_only_as_small_urlencoded_bodies(writable: TestClient) -> None:
    as_json = writable.post("/models/2/promote", json={"alias": "production", "confirm": "yes"})
    huge = writable.post("/models/2/promote", data={"alias": "production", "reason": "x" * 70_000})
    sandboxed = writable.post(
        "/models/2/promote",
        data={"alias": "production", "api_key": API_KEY, "confirm": "yes"},
        headers={"origin": "null"},
    )

    assert as_json.status_code == 400
    assert "application/x-www-form-urlencoded" in text_of(as_json.text)
    assert huge.status_code == 400 and "larger than" in huge.text
    assert sandboxed.status_code == 403


def test_promote_with_the_key_moves_the_alias_and_records_who_and_why(
    writable: TestClient, project: Path
) -> None:
    answer = writable.post(
        "/models/2/promote",
        data={
            "alias": "production",
            "api_key": API_KEY,
            "confirm": "yes",
            "reason": "better",
            "actor": "ana",
        },
        follow_redirects=False,
    )

    assert answer.status_code == 303
    page = writable.get(answer.headers["location"])
    assert "production now points at v2 (was v1): promote recorded" in page.text
    with Store.for_project(project) as store:
        assert get_version(store, "production").version == 2
    history = text_of(writable.get("/models").text)
    assert "ana (headrace ui," in history and "better" in history


def test_promoting_to_a_gated_alias_runs_the_behavioral_tests_first(
    writable: TestClient, project: Path
) -> None:
    form = {"alias": "production", "api_key": API_KEY, "confirm": "yes"}
    writable.post("/models/2/promote", data=form)

    page = writable.get("/models/2")

    # The example gates production (checks: in headrace.yaml); v2 passed and it is recorded.
    assert "Promoting to production runs the project's behavioral tests first" in text_of(page.text)
    assert re.search(r"Last check of v2: \S+ at [\d-]+ [\d:]+, passed", text_of(page.text))
    with Store.for_project(project) as store:
        assert [r.kind for r in store.runs.recent(kind="behavior_check")] == ["behavior_check"]


def test_a_model_failing_the_behavioral_tests_is_not_promoted_to_a_gated_alias(
    writable: TestClient, project: Path
) -> None:
    tests = project / "tests.py"
    tests.write_text(
        tests.read_text()
        + '\nimpossible = MinimumFunctionality("praise is spam", ["I love this song"], expected="spam")\n'
    )

    refused = writable.post(
        "/models/2/promote", data={"alias": "production", "api_key": API_KEY, "confirm": "yes"}
    )
    staged = writable.post(
        "/models/1/promote", data={"alias": "staging", "api_key": API_KEY, "confirm": "yes"}
    )

    assert refused.status_code == 409
    assert "model v2 fails behavioral tests, so it cannot become 'production': praise is spam" in text_of(
        refused.text
    )
    assert staged.status_code == 200  # staging is not gated
    with Store.for_project(project) as store:
        assert get_version(store, "production").version == 1
        assert get_version(store, "staging").version == 1


def test_the_key_also_works_as_a_header_and_a_second_promote_changes_nothing(writable: TestClient) -> None:
    form = {"alias": "production", "confirm": "yes"}
    first = writable.post("/models/2/promote", data=form, headers={"x-api-key": API_KEY})
    again = writable.post("/models/2/promote", data=form, headers={"authorization": f"Bearer {API_KEY}"})

    assert first.status_code == again.status_code == 200  # after the redirect
    assert "production already pointed at this version: nothing changed" in again.text


def test_rollback_moves_the_alias_back_and_fails_clearly_at_the_start_of_history(
    writable: TestClient, project: Path
) -> None:
    form = {"api_key": API_KEY, "confirm": "yes"}
    writable.post("/models/2/promote", data={**form, "alias": "production"})

    back = writable.post("/aliases/production/rollback", data=form)
    assert "production now points at v1 (was v2): rollback recorded" in back.text
    with Store.for_project(project) as store:
        assert get_version(store, "production").version == 1

    stuck = writable.post("/aliases/production/rollback", data=form)
    assert stuck.status_code == 400
    assert "no earlier version to roll back to" in stuck.text
    assert writable.post("/aliases/production/rollback", data={"api_key": API_KEY}).status_code == 400


# -- monitoring ------------------------------------------------------------------------


def test_monitoring_shows_drift_over_windows_accuracy_and_alert_history(client: TestClient) -> None:
    page = client.get("/monitoring")
    text = text_of(page.text)

    assert page.status_code == 200
    for figure in ("drift", "accuracy", "coverage"):
        assert f'data-figure="figure-{figure}"' in page.text
    assert "Alert history (latest 1 checks)" in text
    assert "drift_share" in text
    assert re.search(r"\b1 [\d-]+ [\d:]+ [\d-]+ [\d:]+ 400 ", text)  # the second (SMS) window
    assert client.get("/monitoring?run=ffffffffffff").status_code == 404


@pytest.mark.parametrize(
    ("test", "score"),
    [
        ({"threshold": 0.05, "p_value": 0.05, "statistic": 9.0, "drifted": False}, 0.99),
        ({"threshold": 0.05, "p_value": 0.0025, "statistic": 9.0, "drifted": True}, 2.0),
        ({"threshold": 0.55, "p_value": None, "statistic": 0.275, "drifted": False}, 0.5),
        ({"threshold": 0.1, "p_value": None, "statistic": 5.0, "drifted": True}, 3.0),
        ({"threshold": 0.1, "p_value": None, "statistic": 0.05, "drifted": True}, 1.0),
    ],
)
def test_drift_scores_put_every_test_on_one_scale_that_agrees_with_its_verdict(
    test: dict[str, object], score: float
) -> None:
    assert drift_score(test) == pytest.approx(score)


# -- an empty project and the command --------------------------------------------------


def test_a_project_that_never_ran_renders_every_page_empty(tmp_path: Path) -> None:
    project = init_project(tmp_path / "fresh", example="youtube-spam")
    with TestClient(create_ui_app(project, api_key=ApiKey(API_KEY))) as client:
        for path, hint in [
            ("/", "no model is production yet"),
            ("/lfs", "no label run yet"),
            ("/runs", "no runs"),
            ("/models", "no registered model yet"),
            ("/monitoring", "nothing monitored yet"),
        ]:
            page = client.get(path)
            assert page.status_code == 200, path
            assert hint in page.text, path
        assert client.get("/models/1").status_code == 404


def test_the_dashboard_uses_the_served_alias_of_the_project_file(project: Path) -> None:
    config = project / "headrace.yaml"
    config.write_text(config.read_text() + "serve: {model: staging}\n")
    with Store.for_project(project) as store:
        app = Dashboard(load_project(project), store, api_key=ApiKey(None)).app
        with TestClient(app) as client:
            assert "staging model v2" in text_of(client.get("/").text)


def test_a_loopback_dashboard_refuses_requests_for_other_host_names(built: Path) -> None:
    app = create_ui_app(built, api_key=ApiKey(None), allowed_hosts=LOOPBACK_HOSTS)
    with TestClient(app, base_url="http://127.0.0.1:8080") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"host": "localhost:8080"}).status_code == 200
        # DNS rebinding: a page of attacker.example whose name now resolves to 127.0.0.1.
        assert client.get("/", headers={"host": "attacker.example:8080"}).status_code == 400


def test_the_ui_package_exports_exactly_its_public_names() -> None:
    import headrace.ui

    assert set(headrace.ui.__all__) == {"Dashboard", "create_ui_app"}


def test_ui_command_reports_a_missing_project_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(ui, ["-p", str(tmp_path), "--port", "0"])

    assert result.exit_code == 2
    assert "headrace.yaml" in result.output
