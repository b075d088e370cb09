"""Backup and restore (docs/security.md): a ``pg_dump -Fc`` of the portal's database restored with ``pg_restore``
into a fresh database holds the same rows, the same household and the same audit triggers."""

import os
import shutil
import subprocess
import uuid
from datetime import date

import psycopg
import pytest
from django.db import connection

from households.models import Household
from members.models import Member
from teams.models import Team
from tests.conftest import ensure_units

pytestmark = pytest.mark.skipif(not shutil.which("pg_dump"), reason="the PostgreSQL client (pg_dump) is not installed")

TABLES = [
    "areas_area",
    "accounts_user",
    "accounts_roleassignment",
    "teams_team",
    "members_member",
    "households_household",
    "households_householdevent",
    "households_activitytype",
    "pghistory_context",
]


def _server() -> tuple[dict, list[str], dict]:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
    return db, args, env


def _facts(conninfo: dict, code: str) -> dict:
    with psycopg.connect(**conninfo) as conn, conn.cursor() as cursor:
        counts = {}
        for table in TABLES:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT row_to_json(h)::text FROM households_household h WHERE code = %s", [code])
        household = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        triggers = cursor.fetchone()[0]
    return {"counts": counts, "household": household, "triggers": triggers}


@pytest.mark.django_db(transaction=True)  # pg_dump reads from its own connection: the rows must be committed
def test_a_pg_dump_restored_with_pg_restore_holds_the_same_data(tmp_path, hamlet_a1):
    ensure_units()
    team = Team.objects.create(area=hamlet_a1, name="Tổ CNSCĐ Ấp A1", established_on=date(2024, 1, 15))
    Member.objects.create(
        team=team, full_name="Nguyễn Văn Tổ", gender="male", organization="police", phone="0977111222"
    )
    Household.objects.create(
        area=hamlet_a1, code="BK-1", head_name="Trần Thị Sao lưu", address="Số 7", phone="0987654321",
        consent_given=True, categories=["poor"], size=3,
    )  # fmt: skip
    db, args, env = _server()
    dump = tmp_path / "cnscd.dump"
    restored = f"{db['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    subprocess.run(["pg_dump", "-Fc", *args, "-d", db["NAME"], "-f", str(dump)], env=env, check=True)
    subprocess.run(["createdb", *args, restored], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *args, "-d", restored, str(dump)], env=env, check=True
        )
        base = {"host": args[1], "port": args[3], "user": args[5], "password": env["PGPASSWORD"] or None}
        original = _facts({**base, "dbname": db["NAME"]}, "BK-1")
        copy = _facts({**base, "dbname": restored}, "BK-1")
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", *args, restored], env=env, check=True)

    assert copy == original
    assert original["counts"]["households_household"] == 1 and original["counts"]["areas_area"] > 100
    assert "Trần Thị Sao lưu" in copy["household"] and original["triggers"] > 0
