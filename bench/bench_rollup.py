"""Benchmark: KPI rollup, /kpis/, the heaviest pages and the province report on a generated data set.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_rollup.py [--repeat 3] [--quick] [--json out.json]

The database must hold a data set of ``manage.py generate_demo`` (``--scale province`` for the docs/TARGETS.md figures).
Measured, each beside its target (docs/TARGETS.md):

* full rollup — median of ``--repeat`` runs — and the reference: one hand-written statement (GROUPING SETS over
  every area of each visit's path × year, quarter, month) computing the same activity numbers, timed in the same
  run, written to a temporary table as the rollup writes its tables; the ratio of the two medians;
* incremental rollup after 1,000 new visits (copies of random visits dated today, removed afterwards);
* ``GET /api/v1/kpis/?area=<province>&period=<year>&breakdown=children`` p95 over HTTP (gunicorn, loopback);
* p95 server time and SQL queries of the province dashboard, a commune's hamlet page, a team page and a member's
  visit screen (in-process, Django's test client);
* the province monthly report (figures + .xlsx).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

ROWS: list[dict] = []


def record(what: str, measured: str, target: str, met: bool | None) -> None:
    ROWS.append({"what": what, "measured": measured, "target": target, "met": met})
    flag = "" if met is None else ("met" if met else "NOT MET")
    print(f"{what:<58} {measured:<34} {target:<26} {flag}", flush=True)


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[max(0, int(round(len(values) * 0.95)) - 1)]


def reference_sql() -> str:
    from households.models import ActivityType

    per_visit = ", ".join(
        f"sum(quantity) FILTER (WHERE activity_type_id = {t.pk}) AS a_{t.pk}"
        for t in ActivityType.objects.order_by("pk")
    )
    outer = ", ".join(f"sum(x.a_{t.pk}) AS a_{t.pk}" for t in ActivityType.objects.order_by("pk"))
    return f"""
        CREATE TEMP TABLE _reference AS
        SELECT anc.id AS area_id, to_char(v.date, 'YYYY') AS y, to_char(v.date, 'YYYY-"Q"Q') AS q,
               to_char(v.date, 'YYYY-MM') AS m, GROUPING(to_char(v.date, 'YYYY'), to_char(v.date, 'YYYY-"Q"Q'),
               to_char(v.date, 'YYYY-MM')) AS g,
               count(*) AS visits, count(DISTINCT v.household_id) AS households_visited, {outer}
        FROM households_visit v
        JOIN (SELECT visit_id, {per_visit} FROM households_visitactivity GROUP BY visit_id) x ON x.visit_id = v.id
        JOIN areas_area ar ON ar.id = v.area_id
        CROSS JOIN LATERAL unnest(string_to_array(trim(BOTH '/' FROM ar.path), '/')::bigint[]) AS anc(id)
        GROUP BY GROUPING SETS ((anc.id, to_char(v.date, 'YYYY')), (anc.id, to_char(v.date, 'YYYY-"Q"Q')),
                                (anc.id, to_char(v.date, 'YYYY-MM')))
    """


def bench_rollup(repeat: int) -> None:
    from django.db import connection, transaction

    from households.models import Visit
    from reports import rollup
    from reports.models import KpiValue

    visits = Visit.objects.count()
    print(f"data set: {visits:,} visits", flush=True)
    full, runs = timed(rollup.rollup_full, repeat)
    sql = reference_sql()

    def reference() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'; SET LOCAL statement_timeout = 0")
            cursor.execute("DROP TABLE IF EXISTS _reference")
            cursor.execute(sql)
            cursor.execute("DROP TABLE _reference")

    ref, ref_runs = timed(reference, repeat)
    # the reference computes the same numbers: check the province-level yearly visits against the rollup's
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'; SET LOCAL statement_timeout = 0")
        cursor.execute(sql)
        cursor.execute("SELECT area_id, y, visits FROM _reference WHERE q IS NULL AND m IS NULL")
        ref_years = {(a, y): v for a, y, v in cursor.fetchall()}
        cursor.execute("DROP TABLE _reference")
    ours = {
        (k.area_id, k.period): int(k.value)
        for k in KpiValue.objects.filter(indicator="visits", period__regex=r"^\d{4}$")
    }
    assert ours == ref_years, "the rollup and the reference disagree"
    record(
        "full rollup (every indicator × area × month/quarter/year)",
        f"{full:.2f} s (runs {', '.join(f'{t:.1f}' for t in runs)})",
        "≤ 15 s",
        full <= 15,
    )
    record(
        "  reference GROUPING SETS statement, same run",
        f"{ref:.2f} s (runs {', '.join(f'{t:.1f}' for t in ref_runs)})",
        "",
        None,
    )
    record("  ratio rollup / reference", f"{full / ref:.2f} ×", "≤ 1.5 ×", full / ref <= 1.5)

    def add_visits() -> list[int]:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                WITH picked AS (SELECT * FROM households_visit TABLESAMPLE BERNOULLI (0.1) LIMIT 1000),
                new AS (
                    INSERT INTO households_visit (client_uuid, household_id, area_id, team_id, member_id, date,
                                                  channel, note, created_at)
                    SELECT gen_random_uuid(), household_id, area_id, team_id, member_id, %s, channel, 'bench', now()
                    FROM picked RETURNING id, area_id
                )
                SELECT id FROM new
                """,
                [rollup.today()],
            )
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                "INSERT INTO households_visitactivity (visit_id, activity_type_id, quantity) "
                "SELECT id, (SELECT min(id) FROM households_activitytype), 1 FROM unnest(%s::bigint[]) AS id",
                [ids],
            )
        return ids

    rollup.rollup_incremental()
    times = []
    for _ in range(repeat):
        ids = add_visits()
        started = time.perf_counter()
        rollup.rollup_incremental()
        times.append(time.perf_counter() - started)
        Visit.objects.filter(pk__in=ids).delete()
        rollup.rollup_incremental()
    incremental = statistics.median(times)
    record(
        "incremental rollup after 1,000 new visits",
        f"{incremental:.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})",
        "≤ 2 s",
        incremental <= 2,
    )


def _province():
    from areas.models import Area, Level

    # the province holding the data set: the one with the most hamlets below it
    provinces = Area.objects.filter(level=Level.PROVINCE)
    return max(provinces, key=lambda p: Area.objects.filter(level=Level.HAMLET, path__startswith=p.path).count())


def bench_http_kpis(requests: int) -> None:
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    province = _province()
    user = User.objects.create_user(username=f"bench.kpi.{uuid.uuid4().hex[:6]}", is_superuser=True)
    token = Token.objects.create(user=user).key
    year = str(__import__("datetime").date.today().year - 1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cnscd.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--log-level",
         "warning"],
        cwd=ROOT, env=dict(os.environ),
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {token}", "Host": "localhost"}
        path = f"/api/v1/kpis/?area={province.pk}&period={year}&breakdown=children&page_size=500"
        latencies, errors = [], 0
        for i in range(requests + 10):
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            if i >= 10:  # warm-up excluded
                latencies.append(time.perf_counter() - started)
                errors += response.status != 200
        rows = json.loads(body)["count"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        user.delete()
    value = p95(latencies) * 1000
    record(
        f"GET /kpis/ province, year, breakdown=children ({rows} rows)",
        f"p95 {value:.1f} ms, median {statistics.median(latencies) * 1000:.1f} ms, {errors} errors",
        "p95 ≤ 50 ms",
        value <= 50 and errors == 0,
    )


def bench_pages(requests: int) -> None:
    from django.conf import settings
    from django.test.utils import override_settings

    from accounts.models import Role, RoleAssignment, User
    from areas.models import Area, Level
    from members.models import Member
    from teams.models import Team

    province = _province()
    tag = uuid.uuid4().hex[:6]
    admin = User.objects.create_user(username=f"bench.admin.{tag}")
    RoleAssignment.objects.create(user=admin, role=Role.PROVINCE_ADMIN, area=province)
    team = Team.objects.filter(area__path__startswith=province.path, status="active").order_by("pk").first()
    commune = Area.objects.get(pk=team.area.parent_id) if team.area.level == Level.HAMLET else team.area
    officer = User.objects.create_user(username=f"bench.xa.{tag}")
    RoleAssignment.objects.create(user=officer, role=Role.COMMUNE_OFFICER, area=commune)
    member = Member.objects.filter(team=team, left_on__isnull=True).order_by("pk").first()
    member_user = User.objects.create_user(username=f"bench.tv.{tag}")
    RoleAssignment.objects.create(user=member_user, role=Role.TEAM_MEMBER, area=team.area)
    old_user = member.user_id
    Member.objects.filter(pk=member.pk).update(user=member_user)
    pages = [
        ("province dashboard", admin, "/dashboard/", 200, 15),
        ("commune dashboard", officer, f"/dashboard/?area={commune.pk}", 200, 15),
        ("commune hamlets page", officer, f"/communes/{commune.pk}/hamlets/", 1000, 15),
        ("team page", officer, f"/teams/{team.pk}/", 1000, 15),
        ("member's visit screen", member_user, "/visits/log/", 1000, 15),
        ("member's team month (API)", member_user, "/api/v1/visits/team-month/", 1000, 15),
    ]
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        with override_settings(STORAGES=plain_static):  # no collectstatic manifest needed to render pages
            _measure_pages(pages, requests)
    finally:
        Member.objects.filter(pk=member.pk).update(user=old_user)
        for user in (admin, officer, member_user):
            user.delete()


def _measure_pages(pages, requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    for name, user, url, target_ms, target_queries in pages:
        client = Client()
        client.force_login(user)
        client.get(url)  # warm-up
        latencies, queries, status = [], 0, None
        for _ in range(requests):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                latencies.append(time.perf_counter() - started)
            queries, status = len(captured), response.status_code
        value = p95(latencies) * 1000
        record(
            f"{name} ({url.split('?')[0]})",
            f"p95 {value:.0f} ms, {queries} queries, HTTP {status}",
            f"p95 ≤ {target_ms} ms, ≤ {target_queries} queries",
            value <= target_ms and queries <= target_queries and status == 200,
        )


def bench_report(repeat: int) -> None:
    from django.utils import timezone

    from reports import workbook
    from reports.periods import parse_period

    province = _province()
    month = workbook.previous_month(timezone.localdate())

    def build() -> None:
        data = workbook.report_data(area=province, period=parse_period(month), generated_on=timezone.localdate())
        workbook.report_workbook(data)

    value, runs = timed(build, repeat)
    record(f"province monthly report {month} (figures + .xlsx)", f"{value:.2f} s", "≤ 10 s", value <= 10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="one run of each, 20 requests (the smoke test)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.requests = 1, min(args.requests, 20)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cnscd.settings")
    os.environ.update(DEBUG="0", ALLOWED_HOSTS="localhost,127.0.0.1,testserver", SECURE_SSL_REDIRECT="0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + uuid.uuid4().hex)
    os.environ.setdefault("PERSONAL_DATA_HASH_KEY", "bench-only-personal-data-hash-key")
    import django

    django.setup()
    bench_rollup(args.repeat)
    bench_http_kpis(args.requests)
    bench_pages(max(20, args.requests // 4))
    bench_report(args.repeat)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(ROWS, out, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
