"""Offline sync: the same visit sent 10 times at once over real HTTP (gunicorn, 2 workers × 4 threads) is stored once.

Each round sends one new visit ten times in parallel (threads released together by a barrier), alternately to
``POST /api/v1/visits/`` and inside ``POST /api/v1/visits/bulk/``. Expected: every answer 200 or 201 (one 201 /
"created" at most), no 409 or 5xx, and exactly one visit row with one activity row in the database.
"""

from __future__ import annotations

import argparse
import sys
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from robustness.common import Row, django_setup, emit, environment, gunicorn, scratch_database

SENDERS = 10


def run(rounds: int) -> tuple[Row, list[str]]:
    import requests

    url = scratch_database("sync")
    django_setup(DATABASE_URL=url)
    from households.models import Visit, VisitActivity
    from robustness import world as world_module

    world = world_module.build()
    corner = world.corners["A1"]
    headers = {"Authorization": f"Token {world_module.token(corner.member_user)}"}
    lines, bad = [], 0
    with gunicorn(environment(DATABASE_URL=url)) as base:
        session_per_thread = threading.local()

        def send(path: str, body: dict, barrier: threading.Barrier):
            session = getattr(session_per_thread, "s", None) or requests.Session()
            session_per_thread.s = session
            barrier.wait()
            response = session.post(base + path, json=body, headers=headers, timeout=30)
            if path.endswith("/bulk/") and response.status_code == 200:
                return response.status_code, response.json()["results"][0]["status"]
            return response.status_code, ""

        with ThreadPoolExecutor(SENDERS) as pool:
            for number in range(rounds):
                visit = {
                    "client_uuid": str(uuid.uuid4()), "household": corner.household, "date": "2026-10-07",
                    "channel": "door_to_door", "activities": [{"type": "dvctt_account", "quantity": 1 + number}],
                }  # fmt: skip
                path, body = (
                    ("/api/v1/visits/", visit) if number % 2 == 0 else ("/api/v1/visits/bulk/", {"visits": [visit]})
                )
                barrier = threading.Barrier(SENDERS)
                answers = list(pool.map(lambda _i: send(path, body, barrier), range(SENDERS)))  # noqa: B023
                stored = Visit.objects.filter(client_uuid=visit["client_uuid"]).count()
                activities = VisitActivity.objects.filter(visit__client_uuid=visit["client_uuid"]).count()
                statuses = Counter(f"{code}{'/' + s if s else ''}" for code, s in answers)
                created = sum(1 for code, s in answers if code == 201 or s == "created")
                ok = (
                    stored == 1
                    and activities == 1
                    and created <= 1
                    and all(code in (200, 201) and s in ("", "created", "duplicate") for code, s in answers)
                )
                bad += not ok
                lines.append(
                    f"{'ok  ' if ok else 'FAIL'} round {number + 1} {path}: {dict(statuses)} → stored {stored}"
                )
    row = Row(
        "offline sync: the same visit sent 10 times concurrently",
        "stored once",
        f"{rounds} rounds × {SENDERS} concurrent identical POSTs over gunicorn (single and bulk): "
        f"{rounds - bad} of {rounds} stored exactly once, no 409 or 5xx",
        bad == 0,
    )
    return row, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 rounds instead of 20")
    args = parser.parse_args()
    row, lines = run(2 if args.quick else 20)
    print("\n".join(lines), file=sys.stderr)
    emit([row])


if __name__ == "__main__":
    main()
