"""KPIs: the rollup's numbers equal sums computed here, independently, from the visits the phones sent.

Every period kind (year, quarter, month, a campaign range) at every level (hamlet, commune, province), distinct
households, structural indicators as of the period's end, deletions, incremental = full, a killed run, targets,
scope and the Celery task path with a real worker.
"""

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from areas.models import Area
from households.models import Household, Visit
from members.models import Member
from reports import rollup
from reports.models import KpiValue
from teams.models import Team

KPIS = "/api/v1/kpis/"
CODES = ["dvctt_account", "cashless_account", "vneid_activation", "cybersafety"]


@pytest.fixture
def world(province, commune_a, commune_b, hamlet_a1, hamlet_a2, hamlet_b1, team_member_a1, api, superuser):
    """Teams on A1, A2, B1 (B1 founded later), members (some trained), households, and ~300 visits over two
    years sent through the bulk API; returns what was sent, for the expectations."""
    from accounts.models import Role, RoleAssignment, User

    teams = {
        hamlet_a1: Team.objects.create(area=hamlet_a1, name="Tổ A1", established_on=date(2024, 1, 15)),
        hamlet_a2: Team.objects.create(area=hamlet_a2, name="Tổ A2", established_on=date(2024, 3, 1)),
        hamlet_b1: Team.objects.create(area=hamlet_b1, name="Tổ B1", established_on=date(2025, 6, 10)),
    }
    members = {}
    for hamlet, team in teams.items():
        user = team_member_a1 if hamlet == hamlet_a1 else User.objects.create_user(username=f"tv.{hamlet.pk}")
        if hamlet != hamlet_a1:
            RoleAssignment.objects.create(user=user, role=Role.TEAM_MEMBER, area=hamlet)
        members[hamlet] = Member.objects.create(
            team=team, user=user, full_name=f"TV {hamlet.name}", gender="female", organization="youth_union",
            role="leader", joined_on=team.established_on, trained_on=date(2025, 3, 20),
        )  # fmt: skip
        Member.objects.create(
            team=team, full_name=f"TV2 {hamlet.name}", gender="male", organization="police",
            joined_on=date(2025, 1, 1), left_on=date(2026, 2, 1) if hamlet == hamlet_a2 else None,
        )  # fmt: skip
    households = {
        hamlet: [Household.objects.create(area=hamlet, code=f"H{i}", head_name=f"Hộ {i}") for i in range(6)]
        for hamlet in teams
    }
    rng = random.Random(7)
    sent = []
    today = date.today()
    for hamlet, team in teams.items():
        items = []
        for _ in range(100):
            day = team.established_on + timedelta(days=rng.randrange((today - team.established_on).days + 1))
            household = rng.choice(households[hamlet] + [None])
            acts = {code: rng.randint(1, 4) for code in rng.sample(CODES, rng.randint(1, 3))}
            item = {
                "client_uuid": str(uuid.uuid4()),
                "household": household.pk if household else None,
                "area": None if household else hamlet.pk,  # help given to someone without a household record
                "date": day.isoformat(),
                "channel": "door_to_door" if household else "one_stop_desk",
                "activities": [{"type": c, "quantity": q} for c, q in acts.items()],
            }
            items.append(item)
            sent.append({"hamlet": hamlet, "area": hamlet,
                         "household": household.pk if household else None, "date": day, "acts": acts})  # fmt: skip
        user = members[hamlet].user
        response = api(user).post("/api/v1/visits/bulk/", {"visits": items})
        assert response.status_code == 200
        assert all(r["status"] == "created" for r in response.json()["results"]), response.json()
    return {"teams": teams, "members": members, "households": households, "sent": sent, "province": province,
            "communes": [commune_a, commune_b], "hamlets": list(teams)}  # fmt: skip


def _in(area: Area, visit_area: Area) -> bool:
    return visit_area.path.startswith(area.path)


def expected(sent, area: Area, start: date, end: date) -> dict:
    """The activity indicators of ``area``'s subtree over [start, end], from what was sent."""
    rows = [s for s in sent if _in(area, s["area"]) and start <= s["date"] <= end]
    if not rows:
        return {}
    result = {"visits": len(rows), "households_visited": len({s["household"] for s in rows if s["household"]})}
    for code in CODES:
        result[code] = sum(s["acts"].get(code, 0) for s in rows)
    return result


def periods_to_check():
    today = date.today()
    year = today.year
    return [
        (str(year - 1), date(year - 1, 1, 1), date(year - 1, 12, 31)),
        (str(year), date(year, 1, 1), date(year, 12, 31)),
        (f"{year - 1}-Q2", date(year - 1, 4, 1), date(year - 1, 6, 30)),
        (f"{year - 1}-Q4", date(year - 1, 10, 1), date(year - 1, 12, 31)),
        (f"{year}-Q1", date(year, 1, 1), date(year, 3, 31)),
        (f"{year - 1}-10", date(year - 1, 10, 1), date(year - 1, 10, 31)),
        (f"{year}-03", date(year, 3, 1), date(year, 3, 31)),
        (today.strftime("%Y-%m"), today.replace(day=1), today),
        (f"{year - 1}-10-01..{year - 1}-10-10", date(year - 1, 10, 1), date(year - 1, 10, 10)),
        (f"{year - 1}-12-20..{year}-01-15", date(year - 1, 12, 20), date(year, 1, 15)),
    ]


def kpis(client, area, period, **params) -> dict:
    response = client.get(KPIS, {"area": area.pk, "period": period, "page_size": 500, **params})
    assert response.status_code == 200, response.json()
    return {(r["area"], r["indicator"]): r for r in response.json()["results"]}


def _value(rows, area, code):
    value = rows[(area.pk, code)]["value"]
    return None if value is None else Decimal(str(value))


def test_kpis_equal_independent_sums_for_every_period_kind_and_level(api, province_admin, world):
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    client = api(province_admin)
    areas = [world["province"], *world["communes"], *world["hamlets"]]
    for label, start, end in periods_to_check():
        for area in areas:
            rows = kpis(client, area, label)
            want = expected(world["sent"], area, start, end)
            for code in ["visits", "households_visited", *CODES]:
                got = _value(rows, area, code)
                if not want:
                    assert got is None, (label, area.name, code, got)  # nobody reported: empty, never 0
                else:
                    assert got == want[code], (label, area.name, code, got, want[code])


def test_breakdown_children_gives_each_commune_with_a_rank(api, province_admin, world):
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    year = str(date.today().year - 1)
    response = api(province_admin).get(
        KPIS, {"area": world["province"].pk, "period": year, "breakdown": "children", "indicator": "visits"}
    )
    assert response.status_code == 200
    body = response.json()
    children = Area.objects.filter(parent=world["province"]).count()
    assert body["count"] == children
    by_area = {r["area"]: r for r in body["results"]}
    a, b = world["communes"]
    start, end = date(int(year), 1, 1), date(int(year), 12, 31)
    assert by_area[a.pk]["value"] == expected(world["sent"], a, start, end)["visits"]
    assert by_area[b.pk]["value"] == expected(world["sent"], b, start, end)["visits"]
    ranked = sorted([by_area[a.pk], by_area[b.pk]], key=lambda r: -r["value"])
    assert [r["rank"] for r in ranked] == [1, 2]
    others = [r for r in body["results"] if r["area"] not in (a.pk, b.pk)]
    assert all(r["value"] is None and r["rank"] is None for r in others)
    assert all(r["computed_at"] for r in body["results"][:3])


def test_structural_indicators_are_as_of_the_end_of_the_period(api, province_admin, world):
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    client = api(province_admin)
    province = world["province"]
    before_b1 = kpis(client, province, "2025-05")  # B1 founded 10/06/2025, training on 20/03/2025
    assert _value(before_b1, province, "teams") == 2
    assert _value(before_b1, province, "members") == 4
    assert _value(before_b1, province, "members_trained") == 2
    early = kpis(client, province, "2024-06")  # second members joined 01/01/2025; nobody trained yet
    assert (_value(early, province, "teams"), _value(early, province, "members")) == (2, 2)
    assert _value(early, province, "members_trained") == 0
    now = kpis(client, province, date.today().strftime("%Y-%m"))  # the A2 second member left 01/02/2026
    assert (_value(now, province, "teams"), _value(now, province, "members")) == (3, 5)
    hamlets = Area.objects.filter(level="hamlet", path__startswith=province.path).count()
    assert _value(now, province, "hamlets") == hamlets
    assert _value(now, province, "hamlet_coverage") == round(Decimal(300) / hamlets, 1)
    commune_a = world["communes"][0]
    assert _value(kpis(client, commune_a, "2025"), commune_a, "hamlet_coverage") == 100


def test_a_deleted_visit_disappears_and_incremental_equals_full(api, province_admin, team_member_a1, world):
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    client = api(province_admin)
    visit = Visit.objects.filter(member__user=team_member_a1, household__isnull=False).order_by("date").last()
    month = visit.date.strftime("%Y-%m")
    before = _value(kpis(client, world["province"], month), world["province"], "visits")
    assert client.delete(f"/api/v1/visits/{visit.pk}/").status_code == 204
    # a new visit, and a change written straight to the database (as an import would)
    new = {"client_uuid": str(uuid.uuid4()), "household": world["households"][visit.area][0].pk,
           "date": date.today().isoformat(), "channel": "door_to_door",
           "activities": [{"type": "vneid_activation", "quantity": 5}]}  # fmt: skip
    assert api(team_member_a1).post("/api/v1/visits/", new).status_code == 201
    call_command("rollup_kpis", stdout=open("/dev/null", "w"))  # incremental
    after = _value(kpis(client, world["province"], month), world["province"], "visits")
    expected_after = before - 1 + (1 if month == date.today().strftime("%Y-%m") else 0)
    assert after == expected_after
    incremental = snapshot()
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    assert snapshot() == incremental


def snapshot() -> dict:
    return {(k.area_id, k.period, k.indicator): k.value for k in KpiValue.objects.all()}


def test_a_rollup_killed_halfway_changes_nothing_and_the_next_run_equals_a_clean_one(
    api, team_member_a1, world, monkeypatch
):
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    clean_before = snapshot()
    item = {"client_uuid": str(uuid.uuid4()), "household": world["households"][world["hamlets"][0]][1].pk,
            "date": date.today().isoformat(), "channel": "door_to_door",
            "activities": [{"type": "dvctt_account", "quantity": 2}]}  # fmt: skip
    assert api(team_member_a1).post("/api/v1/visits/", item).status_code == 201

    original = rollup.kpi_from_facts_sql

    def killed(**kwargs):  # the facts are rewritten, then the worker dies
        raise SystemExit("worker killed")

    monkeypatch.setattr(rollup, "kpi_from_facts_sql", killed)
    with pytest.raises(SystemExit):
        rollup.rollup_full()
    assert snapshot() == clean_before
    assert rollup.dirty_pending()  # the queue of changes was not lost
    monkeypatch.setattr(rollup, "kpi_from_facts_sql", original)
    rollup.rollup_incremental()
    rerun = snapshot()
    rollup.rollup_full()
    assert snapshot() == rerun
    rollup.rollup_full()  # repeated: the same numbers
    assert snapshot() == rerun


def test_targets_give_achievement_and_warnings(api, province_admin, world):
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    client = api(province_admin)
    province, (commune_a, commune_b) = world["province"], world["communes"]
    year = date.today().year - 1
    response = client.post("/api/v1/targets/", {"indicator": "visits", "area": province.pk, "year": year, "value": 400})
    assert response.status_code == 201, response.json()
    client.post("/api/v1/targets/", {"indicator": "visits", "area": commune_a.pk, "year": year, "value": 150})
    client.post("/api/v1/targets/", {"indicator": "visits", "area": commune_b.pk, "year": year, "value": 150})
    listed = client.get("/api/v1/targets/", {"area": province.pk, "year": year}).json()["results"]
    by_area = {t["area"]: t for t in listed}
    assert by_area[province.pk]["warnings"] and "300" in by_area[province.pk]["warnings"][0]
    assert by_area[commune_a.pk]["warnings"] == []
    rows = kpis(client, province, str(year), indicator="visits")
    row = rows[(province.pk, "visits")]
    want = expected(world["sent"], province, date(year, 1, 1), date(year, 12, 31))["visits"]
    assert row["target"] == 400 and row["achievement"] == float(round(Decimal(want * 100) / 400, 1))
    # monthly targets: a quarter's target of a summed indicator is the sum of its months
    for month in (1, 2, 3):
        client.post("/api/v1/targets/", {"indicator": "visits", "area": commune_a.pk, "year": year, "month": month,
                                         "value": 10})  # fmt: skip
    quarter = kpis(client, commune_a, f"{year}-Q1", indicator="visits")[(commune_a.pk, "visits")]
    assert quarter["target"] == 30
    assert (
        kpis(client, commune_a, f"{year}-01-01..{year}-01-31", indicator="visits")[(commune_a.pk, "visits")]["target"]
        is None
    )


def test_only_province_admins_write_targets(api, commune_officer_a, commune_a, province_admin, world):
    response = api(commune_officer_a).post(
        "/api/v1/targets/", {"indicator": "visits", "area": commune_a.pk, "year": 2026, "value": 5}
    )
    assert response.status_code == 403
    response = api(province_admin).post(
        "/api/v1/targets/", {"indicator": "nope", "area": commune_a.pk, "year": 2026, "value": 5}
    )
    assert response.status_code == 400 and "indicator" in response.json()
    response = api(province_admin).post(
        "/api/v1/targets/", {"indicator": "visits", "area": commune_a.pk, "year": 2026, "month": 13, "value": -1}
    )
    assert response.status_code == 400 and {"month", "value"} <= set(response.json())


def test_kpis_outside_the_scope_are_404_and_bad_periods_400(api, commune_officer_b, commune_a, commune_b, world):
    client = api(commune_officer_b)
    assert client.get(KPIS, {"area": commune_a.pk, "period": "2026"}).status_code == 404
    assert client.get(KPIS, {"area": commune_b.pk, "period": "2026"}).status_code == 200
    for bad in ["2026-13", "2026-Q5", "26", "2026-10-10..2026-10-01", ""]:
        response = client.get(KPIS, {"area": commune_b.pk, "period": bad})
        assert response.status_code == 400 and "period" in response.json(), bad
    assert client.get(KPIS, {"period": "2026"}).json()["results"][0]["area"] == commune_b.pk


def test_the_indicator_catalogue_lists_structural_and_activity_indicators(api, viewer):
    body = api(viewer).get("/api/v1/indicators/").json()
    codes = {i["code"] for i in body}
    assert {"teams", "members", "members_trained", "hamlet_coverage", "households_visited", "visits"} <= codes
    assert {"dvctt_account", "cashless_account", "vneid_activation"} <= codes
    assert all(i["name"] and i["unit"] for i in body)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_visit_shows_in_kpis_through_a_real_worker_without_waiting_for_the_nightly_run(
    api, team_member_a1, province_admin, hamlet_a1, settings, monkeypatch
):
    from celery.contrib.testing.worker import start_worker

    from cnscd.celery import app
    from reports import services

    team = Team.objects.create(area=hamlet_a1, name="Tổ A1", established_on=date(2024, 1, 15))
    Member.objects.create(team=team, user=team_member_a1, full_name="TV", gender="male", organization="police")
    household = Household.objects.create(area=hamlet_a1, code="H1", head_name="Hộ 1")
    monkeypatch.setattr(services, "ROLLUP_DEBOUNCE_SECONDS", 1)
    monkeypatch.setattr(services, "_queued_at", 0.0)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    month = date.today().strftime("%Y-%m")
    try:
        with start_worker(app, perform_ping_check=False):
            response = api(team_member_a1).post("/api/v1/visits/", {
                "client_uuid": str(uuid.uuid4()), "household": household.pk, "date": date.today().isoformat(),
                "channel": "door_to_door", "activities": [{"type": "vneid_activation", "quantity": 3}]})  # fmt: skip
            assert response.status_code == 201
            import time

            value = None
            for _ in range(80):
                rows = kpis(api(province_admin), hamlet_a1, month, indicator="vneid_activation")
                value = rows[(hamlet_a1.pk, "vneid_activation")]["value"]
                if value is not None:
                    break
                time.sleep(0.25)
            refresh = api(province_admin).post("/api/v1/kpis/refresh/")
            assert refresh.status_code == 202 and refresh.json()["task_id"]
    finally:
        app.conf.task_always_eager = True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    assert value == 3


def test_refresh_without_a_broker_says_it_is_unavailable(api, province_admin, monkeypatch, world):
    from reports import tasks

    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(tasks.rollup_incremental_task, "delay", down)
    response = api(province_admin).post("/api/v1/kpis/refresh/")
    assert response.status_code == 503 and "detail" in response.json()


def test_households_visited_is_distinct_not_a_sum_of_months(api, province_admin, world):
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    client = api(province_admin)
    hamlet = world["hamlets"][0]
    year = date.today().year - 1
    months = sum(
        _value(kpis(client, hamlet, f"{year}-{m:02d}", indicator="households_visited"), hamlet, "households_visited")
        or 0
        for m in range(1, 13)
    )
    whole = _value(kpis(client, hamlet, str(year), indicator="households_visited"), hamlet, "households_visited")
    assert whole <= 6 < months


def test_with_redis_down_queueing_a_rollup_fails_within_seconds():
    """With Redis unreachable, queueing a task (what KPI refresh does before its 503) gives up within seconds,
    not after the 20 retries, a second apart, of Celery's Redis result backend."""
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    script = (
        "import time, django; django.setup()\n"
        "from reports.tasks import rollup_incremental_task\n"
        "started = time.monotonic()\n"
        "try:\n    rollup_incremental_task.delay()\nexcept Exception:\n    pass\n"
        "print(time.monotonic() - started)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | {
        "DJANGO_SETTINGS_MODULE": "cnscd.settings",
        "DEBUG": "1",
        "REDIS_URL": f"redis://127.0.0.1:{port}/15",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unused"),
    }
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip().splitlines()[-1]) < 5


def test_the_refresh_unavailable_message_is_said_once(api, province_admin, monkeypatch):
    from reports import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("redis down")

    monkeypatch.setattr(tasks.rollup_incremental_task, "delay", broker_down)
    response = api(province_admin).post("/api/v1/kpis/refresh/")
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert detail == "Hệ thống xử lý nền đang không sẵn sàng; số liệu sẽ được cập nhật ở lần chạy kế tiếp."
