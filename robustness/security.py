"""``manage.py check --deploy`` with production settings, and the login brute-force lockout.

Deploy check: the real production settings (``cnscd.settings``, ``DEBUG`` off, a long random ``SECRET_KEY``,
a real host name), ``--fail-level WARNING``: every warning counts.

Brute force, on the login page and on the API's token endpoint: five wrong passwords for one username from one IP
address lock that pair out — the sixth try, with the right password, is refused (429) — while the same username
from another address and another username from the same address still log in; once the attempts are more than
15 minutes old (moved back in the database) the username logs in again.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys

from robustness.common import Row, database_url, django_setup, emit, environment, manage, scratch_database


def deploy_check() -> tuple[Row, list[str]]:
    env = environment(
        DJANGO_SETTINGS_MODULE="cnscd.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="cnscd.example.gov.vn",
        DATABASE_URL=database_url(),
    )
    for key in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS"):
        env.pop(key, None)
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)
    output = (result.stdout + result.stderr).strip()
    found = re.search(r"identified (\d+) issues?", output)
    issues = int(found.group(1)) if found else (0 if "no issues" in output else -1)
    ok = result.returncode == 0 and issues == 0
    row = Row(
        "manage.py check --deploy with production settings",
        "0 warnings",
        f"{issues} issues (exit {result.returncode})" if issues >= 0 else f"could not run: {output[-200:]}",
        ok,
    )
    return row, [output]


def brute_force() -> tuple[Row, list[str]]:
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.test import Client
    from django.utils import timezone

    from robustness import world as world_module

    world_module.build()
    victim, other = "r.team_member", "r.viewer"
    lines, failures = [], 0

    def page(username: str, password: str, ip: str):
        return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password}, secure=True)

    def token(username: str, password: str, ip: str):
        return Client(REMOTE_ADDR=ip).post(
            "/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json",
            secure=True,
        )  # fmt: skip

    for name, attempt, good in (("login page", page, 302), ("token endpoint", token, 200)):
        AccessAttempt.objects.all().delete()
        wrong = [attempt(victim, "sai-mat-khau", "10.9.0.1").status_code for _ in range(5)]
        checks = {
            "5 failures, then the right password from the same IP is refused (429)": attempt(
                victim, world_module.PASSWORD, "10.9.0.1"
            ).status_code
            == 429,
            "the same username from another IP logs in": attempt(victim, world_module.PASSWORD, "10.9.0.2").status_code
            == good,
            "another username from the locked IP logs in": attempt(other, world_module.PASSWORD, "10.9.0.1").status_code
            == good,
        }
        AccessAttempt.objects.all().delete()
        for _ in range(4):
            attempt(victim, "sai-mat-khau", "10.9.0.3")
        checks["4 failures do not lock"] = attempt(victim, world_module.PASSWORD, "10.9.0.3").status_code == good
        for _ in range(5):
            attempt(victim, "sai-mat-khau", "10.9.0.4")
        AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
        checks["attempts older than 15 minutes no longer lock"] = (
            attempt(victim, world_module.PASSWORD, "10.9.0.4").status_code == good
        )
        lines.append(f"{name}: wrong passwords answered {wrong}")
        for check, ok in checks.items():
            lines.append(f"  {'ok  ' if ok else 'FAIL'} {check}")
            failures += not ok
    total = 2 * 5
    row = Row(
        "login brute force (login page and token endpoint)",
        "locked out after 5 failures in 15 minutes, per user and IP",
        f"{total - failures} of {total} checks passed: the 6th try is refused (429) for that user and IP only, "
        "4 failures do not lock, attempts older than 15 min no longer count",
        failures == 0,
    )
    return row, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="(the same: it takes seconds)")
    parser.parse_args()
    rows = []
    row, lines = deploy_check()
    rows.append(row)
    print("\n".join(lines), file=sys.stderr)
    django_setup(DATABASE_URL=scratch_database("auth"))
    row, lines = brute_force()
    rows.append(row)
    print("\n".join(lines), file=sys.stderr)
    emit(rows)


if __name__ == "__main__":
    main()
