"""The platform around the features: production settings, docker-compose, OpenAPI, static files, audit."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

from accounts.models import RoleAssignment

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy_without_warnings():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECURE_", "DEBUG", "SECRET_KEY", "ALLOWED"))
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "cnscd.settings",
        "DEBUG": "0",
        "SECRET_KEY": "p" + "r0duct10n-k3y-" * 5,
        "PERSONAL_DATA_HASH_KEY": "h" + "a5h-k3y-" * 5,
        "ALLOWED_HOSTS": "cnscd.example.gov.vn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SECRET_KEY", "DEBUG")}
    env |= {"DJANGO_SETTINGS_MODULE": "cnscd.settings", "ALLOWED_HOSTS": "x"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_docker_compose_describes_the_production_services():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "nginx"} <= set(services)
    assert services["web"]["command"][0] == "gunicorn" and "cnscd.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "cnscd", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "cnscd", "beat"]
    for name in ("web", "worker", "beat", "postgres", "redis", "nginx"):
        assert "healthcheck" in services[name], name
    for name in ("migrate", "web", "worker", "beat"):  # production refuses to start without these
        environment = services[name]["environment"]
        for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PERSONAL_DATA_HASH_KEY", "ALLOWED_HOSTS"):
            assert environment.get(variable), (name, variable)
        assert environment["DEBUG"] == "0", name
    nginx_conf = services["nginx"]["volumes"][0].split(":")[0]
    assert (ROOT / nginx_conf).is_file()
    assert (ROOT / "Dockerfile").is_file()
    import cnscd.wsgi  # noqa: F401 — the module gunicorn loads exists


def test_the_ci_script_parses_and_runs_make_test():
    script = ROOT / ".ci" / "run"
    assert os.access(script, os.X_OK)
    syntax = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    commands = [line.strip() for line in script.read_text().splitlines() if not line.lstrip().startswith("#")]
    assert commands[-1] == "make test"


def test_the_health_check_answers_without_a_known_host(client, db):
    response = client.get("/healthz", HTTP_HOST="10.0.0.5")
    assert response.status_code == 200 and response.content == b"ok"


def test_the_openapi_schema_builds_and_the_docs_are_served_locally(client, api, province_admin):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/areas/", "/api/v1/users/", "/api/v1/auth/token/"):
        assert path in text
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower() and "/static/drf_spectacular_sidecar/" in docs


def test_static_assets_are_the_portals_own(client):
    page = client.get("/login/").content.decode()
    assert "/static/css/portal.css" in page and "/static/vendor/htmx.min.js" in page
    assert "http://" not in page and "https://" not in page


def test_changes_to_roles_are_recorded_with_who_and_when(api, province_admin, commune_officer_a, hamlet_a1):
    response = api(province_admin).patch(
        f"/api/v1/users/{commune_officer_a.pk}/",
        {"full_name": "Tên Mới", "assignments": [{"role": "team_leader", "area": hamlet_a1.pk}]},
        format="json",
    )
    assert response.status_code == 200
    events = RoleAssignment.pgh_event_model.objects.filter(user_id=commune_officer_a.pk).order_by("pgh_id")
    assert [e.pgh_label for e in events] == ["insert", "delete", "insert"]
    assert events.last().pgh_context.metadata["user"] == province_admin.pk
    user_events = commune_officer_a.__class__.pgh_event_model.objects.filter(pgh_obj_id=commune_officer_a.pk)
    update = user_events.get(pgh_label="update")
    assert update.full_name == "Tên Mới" and update.pgh_context.metadata["user"] == province_admin.pk
    assert not hasattr(update, "password")


TOOLING = {"pytest", "pytest-django", "ruff", "schemathesis", "hypothesis", "playwright", "pgserver"}


def _pins(path: Path) -> dict[str, str]:
    import re

    pins = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-r ")):
            name, _sep, version = line.partition("==")
            assert version, f"{path.name}: {line} is not pinned"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_the_production_image_installs_the_runtime_requirements_only():
    import ast
    import re
    from importlib import metadata

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-r requirements/base.txt" in dockerfile and "requirements/dev.txt" not in dockerfile
    base, dev = _pins(ROOT / "requirements" / "base.txt"), _pins(ROOT / "requirements" / "dev.txt")
    assert not TOOLING & set(base) and TOOLING <= set(dev) and not set(base) & set(dev)
    assert "-r requirements/dev.txt" in (ROOT / "requirements.txt").read_text()
    assert "-r dev.txt" in (ROOT / "requirements" / "bench.txt").read_text()
    assert not set(_pins(ROOT / "requirements" / "bench.txt")) & (set(base) | set(dev))
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "dev.txt" not in compose and "bench.txt" not in compose and "pip install" not in compose
    # Every third-party module the portal's own code imports at module level comes from base.txt.
    distributions = metadata.packages_distributions()
    needed = set()
    for app in ("accounts", "areas", "cnscd", "demo", "households", "imports", "members", "reports", "teams"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.parse(path.read_text()).body:  # module level only: lazy imports are optional
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    for dist in distributions.get(name.split(".")[0], []):
                        needed.add(re.sub(r"[-_.]+", "-", dist).lower())
    assert len(needed) > 10
    assert needed <= set(base), needed - set(base)
