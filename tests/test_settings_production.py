"""Production (DEBUG off) refuses to start on embedded services or a borrowed hash key; DEBUG keeps them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

REQUIRED = ("DATABASE_URL", "REDIS_URL", "PERSONAL_DATA_HASH_KEY")
OURS = ("DEBUG", "EMBEDDED_SERVICES", "SECRET_KEY", "ALLOWED_HOSTS", *REQUIRED)


def _run(code: str, env: dict) -> subprocess.CompletedProcess:
    """Start Django with cnscd.settings and exactly ``env`` for the portal's own variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k not in OURS}
    env = base | {"DJANGO_SETTINGS_MODULE": "cnscd.settings"} | env
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production() -> dict:
    return {
        "SECRET_KEY": "p" + "r0duct10n-k3y-" * 5,
        "ALLOWED_HOSTS": "cnscd.example.gov.vn",
        "PERSONAL_DATA_HASH_KEY": "h" + "a5h-k3y-" * 5,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/unused",
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
    }


@pytest.mark.parametrize("name", REQUIRED)
def test_production_refuses_to_start_without_each_required_variable(name):
    env = {k: v for k, v in _production().items() if k != name}

    result = _run("print('started')", env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Set the {name} environment variable" in result.stderr
    assert "started" not in result.stdout


def test_production_starts_with_every_required_variable_set_and_keeps_the_keys_apart():
    code = "from django.conf import settings as s; print(s.PERSONAL_DATA_HASH_KEY == s.SECRET_KEY, s.DEBUG)"

    result = _run(code, _production())

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_debug_runs_tasks_in_process_and_hashes_with_a_development_key_of_its_own():
    code = (
        "from django.conf import settings as s;"
        " print(s.PERSONAL_DATA_HASH_KEY != s.SECRET_KEY, bool(s.CELERY_TASK_ALWAYS_EAGER))"
    )
    env = {"DEBUG": "1", "DATABASE_URL": _production()["DATABASE_URL"]}

    result = _run(code, env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
