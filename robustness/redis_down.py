"""Redis down: the portal keeps serving visits, rosters and logins; KPI refresh says so; a rollup catches up after.

gunicorn runs with ``REDIS_URL`` on a loopback port where nothing listens (the broker, the result backend and the
cache are all unreachable). Over HTTP: a visit, a new member and a member edit, a token login; in-process: a login
through the login page. Each must succeed within 10 s. ``POST /api/v1/kpis/refresh/`` must answer 202 (queued) or
503 (unavailable), never 5xx otherwise. Then, with Redis back, ``manage.py rollup_kpis`` must bring the visits
posted during the outage into ``/api/v1/kpis/``.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

from robustness.common import (
    Row,
    django_setup,
    emit,
    environment,
    free_port,
    gunicorn,
    manage,
    reachable,
    redis_url,
    scratch_database,
)

BOUND = 10.0  # seconds a request may take with Redis down


def run() -> tuple[Row, list[str]]:
    import requests

    url = scratch_database("redis")
    dead_port = free_port()
    while reachable("127.0.0.1", dead_port):
        dead_port = free_port()
    dead = f"redis://127.0.0.1:{dead_port}/11"
    django_setup(DATABASE_URL=url, REDIS_URL=dead)
    from django.test import Client

    from areas.models import Area
    from households.models import Visit
    from robustness import world as world_module

    world = world_module.build()
    corner = world.corners["A1"]
    hamlet = Area.objects.get(pk=corner.hamlet)
    member_token = world_module.token(corner.member_user)
    officer_token = world_module.token(world.users["commune_officer"])
    admin_token = world_module.token(world.users["province_admin"])
    results: list[tuple[str, int, float, bool]] = []

    def timed(name: str, call, expect: tuple[int, ...]):
        started = time.monotonic()
        try:
            status = call()
        except Exception as error:  # noqa: BLE001 — a timeout or a dropped connection is a failure, not a crash
            status = f"{type(error).__name__}"
        seconds = time.monotonic() - started
        results.append((name, status, seconds, status in expect and seconds <= BOUND))

    with gunicorn(environment(DATABASE_URL=url, REDIS_URL=dead)) as base:
        http = requests.Session()

        def post(path, body, token):
            return http.post(base + path, json=body, headers={"Authorization": f"Token {token}"}, timeout=30)

        outage_visits = []
        for i in range(3):
            visit = {"client_uuid": str(uuid.uuid4()), "household": corner.household, "date": "2026-10-08",
                     "channel": "door_to_door", "activities": [{"type": "dvctt_account", "quantity": 1}]}  # fmt: skip
            outage_visits.append(visit["client_uuid"])
            timed(f"POST /visits/ #{i + 1}", lambda v=visit: post("/api/v1/visits/", v, member_token).status_code,
                  (201,))  # fmt: skip
        bulk_visit = {
            "client_uuid": str(uuid.uuid4()),
            "household": corner.household,
            "date": "2026-10-09",
            "channel": "door_to_door",
            "activities": [{"type": "vneid_activation", "quantity": 1}],
        }
        bulk = {"visits": [bulk_visit]}
        outage_visits.append(bulk["visits"][0]["client_uuid"])
        timed("POST /visits/bulk/", lambda: post("/api/v1/visits/bulk/", bulk, member_token).status_code, (200,))
        member = {"team": corner.team, "full_name": "Phạm Văn Mất Điện", "gender": "male", "organization": "other",
                  "phone": "0977000111"}  # fmt: skip
        timed("POST /members/", lambda: post("/api/v1/members/", member, officer_token).status_code, (201,))
        timed(
            "PATCH /members/{id}/",
            lambda: http.patch(f"{base}/api/v1/members/{corner.member}/", json={"birth_year": 1990},
                               headers={"Authorization": f"Token {officer_token}"}, timeout=30).status_code,
            (200,),
        )  # fmt: skip
        login = {"username": "r.commune_officer", "password": world_module.PASSWORD}
        timed("POST /auth/token/", lambda: http.post(base + "/api/v1/auth/token/", json=login, timeout=30).status_code,
              (200,))  # fmt: skip
        refresh = {}

        def kpi_refresh():
            response = post("/api/v1/kpis/refresh/", {}, admin_token)
            refresh["body"] = response.text[:200]
            return response.status_code

        timed("POST /kpis/refresh/", kpi_refresh, (202, 503))

    page = Client()  # the login page, in-process with the same dead Redis
    timed(
        "POST /login/ (page)",
        lambda: page.post("/login/", {"username": "r.commune_officer", "password": world_module.PASSWORD},
                          secure=True).status_code,
        (302,),
    )  # fmt: skip
    stored = Visit.objects.filter(client_uuid__in=outage_visits).count()

    # Redis is back: the rollup catches up.
    env = environment(DATABASE_URL=url, REDIS_URL=redis_url())
    started = time.monotonic()
    manage("rollup_kpis", env=env, timeout=600)
    rollup_seconds = time.monotonic() - started
    expected = Visit.objects.filter(area=hamlet, date__year=2026, date__month=10).count()
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {admin_token}")
    rows = client.get("/api/v1/kpis/", {"area": hamlet.pk, "period": "2026-10", "indicator": "visits"}).json()
    value = rows["results"][0]["value"] if rows.get("results") else None
    caught_up = value == expected and stored == len(outage_visits)

    lines = [
        f"{'ok  ' if ok else 'FAIL'} {name:22} → {status} in {seconds:.2f} s" for name, status, seconds, ok in results
    ]
    lines.append(f"KPI refresh said: {refresh.get('body')}")
    lines.append(
        f"after Redis is back: rollup_kpis {rollup_seconds:.1f} s; /kpis/ visits of the hamlet in 2026-10 = "
        f"{value} (database: {expected}; visits posted during the outage stored: {stored}/{len(outage_visits)})"
    )
    working = sum(1 for *_rest, ok in results if ok)
    refresh_status = next(status for name, status, *_rest in results if name.startswith("POST /kpis/refresh"))
    worst = max(seconds for _name, _status, seconds, _ok in results)
    row = Row(
        "Redis down (REDIS_URL on a closed port)",
        "visits, rosters and logins keep working; KPI refresh says queued/unavailable and catches up after",
        f"{working} of {len(results)} requests answered as usual (slowest {worst:.2f} s); KPI refresh → "
        f"{refresh_status}; after Redis is back rollup_kpis shows {value} visits in /kpis/ "
        f"(expected {expected})",
        working == len(results) and caught_up,
    )
    return row, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="(the same requests: it takes seconds)")
    parser.parse_args()
    row, lines = run()
    print("\n".join(lines), file=sys.stderr)
    emit([row])


if __name__ == "__main__":
    main()
