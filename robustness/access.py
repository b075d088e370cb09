"""Access matrix: every persona × every operation of the API schema × the object inside / outside its scope.

Generated, not listed: the operations come from ``/api/schema/``, the personas and their two hamlets from
``robustness.world``. Each request runs in a transaction that is rolled back, so no request changes what the
next one sees. What counts as a leak:

* an operation on ``{id}`` of an object outside the persona's scope (retrieve, update, delete, custom actions)
  that answers anything but 404;
* a list (also filtered by ``area``, ``team``, ``household``, ``member``, ``parent`` of the object outside) that
  shows an object outside the scope, and an export that contains one;
* a create naming a parent outside the scope (a hamlet, team, household…) that answers 2xx or stores a row;
* an anonymous request that answers anything but 401 (the catalogue and the token endpoint aside).

Inside the scope the matrix records what each role may do (read: 200 expected for every persona), so that an
empty matrix cannot pass by seeing nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections import Counter
from dataclasses import dataclass

from robustness.common import Row, count, django_setup, emit, scratch_database

ANONYMOUS = "anonymous"
PUBLIC = {"/api/v1/auth/token/"}
# path prefix → (attribute of world.Corner, create payload from a corner)
RESOURCES = {
    "/api/v1/areas/": (
        "hamlet",
        lambda c: {"name": "Ấp Ma Trận", "kind": "Ấp", "parent": c.commune},
    ),
    "/api/v1/users/": (
        "member_user",
        lambda c: {
            "username": f"r.new.{uuid.uuid4().hex[:8]}",
            "password": "Mat-khau-2026!",
            "full_name": "Mới",
            "assignments": [{"role": "team_member", "area": c.hamlet}],
        },
    ),  # fmt: skip
    "/api/v1/teams/": (
        "team",
        lambda c: {"area": c.commune, "name": "Tổ Ma Trận", "established_on": "2025-01-01"},
    ),
    "/api/v1/members/": (
        "member",
        lambda c: {
            "team": c.team,
            "full_name": "Ma Trận",
            "gender": "male",
            "organization": "other",
            "phone": "0987654321",
        },
    ),  # fmt: skip
    "/api/v1/training-sessions/": (
        "training_session",
        lambda c: {"area": c.hamlet, "held_on": "2025-05-01", "topic": "Ma trận", "attendees": [c.member]},
    ),
    "/api/v1/households/": (
        "household",
        lambda c: {"area": c.hamlet, "code": "MATRAN-1", "head_name": "Ma Trận", "size": 2},
    ),
    "/api/v1/visits/": (
        "visit",
        lambda c: {
            "client_uuid": str(uuid.uuid4()),
            "household": c.household,
            "date": "2026-10-06",
            "channel": "door_to_door",
            "member": c.member,
            "activities": [{"type": "vneid_activation", "quantity": 1}],
        },
    ),  # fmt: skip
    "/api/v1/targets/": (
        "target",
        lambda c: {"indicator": "visits", "area": c.commune, "year": 2027, "value": 5},
    ),
    "/api/v1/reports/": ("report", lambda c: {"area": c.commune, "period": "2026-09", "reason": "Sai số liệu"}),
    "/api/v1/imports/": ("import_job", None),
}
FILTERS = {"area": "hamlet", "parent": "commune", "team": "team", "household": "household", "member": "member"}


@dataclass
class Cell:
    persona: str
    operation: str
    scope: str  # inside / outside / —
    status: int
    leak: bool
    note: str = ""


def _resource(path: str):
    for prefix, (attribute, payload) in RESOURCES.items():
        if path.startswith(prefix):
            return prefix, attribute, payload
    return None, None, None


def _ids(data) -> list:
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    if isinstance(data, list):
        return [row.get("id", row.get("area")) for row in data if isinstance(row, dict)]
    return []


def run() -> tuple[list[Row], list[str]]:
    django_setup(DATABASE_URL=scratch_database("access"))
    from django.db import transaction
    from rest_framework.test import APIClient

    from imports.models import ImportJob
    from robustness import world as world_module

    world = world_module.build()
    schema = json.loads(APIClient().get("/api/schema/", {"format": "json"}).content)
    operations = [
        (method.upper(), path, spec)
        for path, item in schema["paths"].items()
        for method, spec in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    clients = {ANONYMOUS: APIClient()}
    for persona, user_id in world.users.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {world_module.token(user_id)}")
        clients[persona] = client
    own_job = {p: ImportJob.objects.filter(created_by_id=u).order_by("pk")[0].pk for p, u in world.users.items()}

    def call(client, method: str, url: str, body=None):
        body = body if method in ("POST", "PUT", "PATCH") else None
        with transaction.atomic():
            response = getattr(client, method.lower())(url, body, format="json")
            transaction.set_rollback(True)
        return response

    cells: list[Cell] = []
    for persona, client in clients.items():
        inside_name, outside_name = world_module.SCOPE.get(persona, ("A1", "L1"))
        corners = {"inside": world.corners[inside_name], "outside": world.corners[outside_name]}
        for method, path, spec in operations:
            label = f"{method} {path}"
            prefix, attribute, payload = _resource(path)
            if persona == ANONYMOUS:
                url = path.replace("{id}", str(getattr(corners["inside"], attribute))) if attribute else path
                url = url.replace("{code}", "visits")
                response = call(client, method, url, payload(corners["inside"]) if payload else None)
                ok = response.status_code == 401 or path in PUBLIC
                cells.append(Cell(persona, label, "—", response.status_code, not ok))
                continue
            if attribute is None:
                if path == "/api/v1/kpis/":
                    for scope, corner in corners.items():
                        response = call(client, "GET", f"{path}?area={corner.hamlet}&period=2026")
                        leak = scope == "outside" and response.status_code != 404
                        cells.append(Cell(persona, label + " ?area=", scope, response.status_code, leak))
                continue  # the catalogue, the token endpoint, KPI refresh: no object to scope
            for scope, corner in corners.items():
                object_id = (
                    own_job[persona] if attribute == "import_job" and scope == "inside" else getattr(corner, attribute)
                )
                body = payload(corners["inside"]) if payload else None
                if "{id}" in path:
                    response = call(client, method, path.replace("{id}", str(object_id)), body)
                    leak = scope == "outside" and response.status_code != 404
                    cells.append(Cell(persona, label, scope, response.status_code, leak))
                elif method == "GET":
                    params = [{}] + [
                        {p["name"]: getattr(corner, FILTERS[p["name"]])}
                        for p in spec.get("parameters", [])
                        if p["in"] == "query" and p["name"] in FILTERS
                    ]
                    for extra in params:
                        query = "&".join(f"{k}={v}" for k, v in ({"page_size": 500} | extra).items())
                        response = call(client, "GET", f"{path}?{query}")
                        shown, filtered_rows = False, 0
                        if response.status_code == 200:
                            if response["Content-Type"].startswith("application/json"):
                                ids = _ids(response.json())
                                shown, filtered_rows = object_id in ids, len(ids)
                            else:  # an export: look for the household's code in the file
                                from households.models import Household

                                code = Household.objects.get(pk=corner.household).code
                                shown = _export_contains(response, code)
                        # outside: never listed, and a filter naming an object outside the scope finds nothing
                        leak = scope == "outside" and (shown or (bool(extra) and filtered_rows > 0))
                        suffix = f" ?{next(iter(extra))}=" if extra else ""
                        note = "listed" if shown else ""
                        cells.append(Cell(persona, label + suffix, scope, response.status_code, leak, note))
                elif method == "POST" and payload is not None:
                    model_count = _row_count(prefix)
                    with transaction.atomic():
                        response = client.post(path, payload(corner), format="json")
                        stored = _row_count(prefix) - model_count
                        if path.endswith("/bulk/"):
                            results = response.json().get("results", []) if response.status_code == 200 else []
                            stored = max(stored, sum(1 for r in results if r.get("status") == "created"))
                        transaction.set_rollback(True)
                    created = 200 <= response.status_code < 300 and not path.endswith("/bulk/")
                    leak = scope == "outside" and (created or stored > 0)
                    cells.append(Cell(persona, label, scope, response.status_code, leak, f"stored {stored}"))
                elif path.endswith("/bulk/"):
                    visit = RESOURCES["/api/v1/visits/"][1](corner)
                    with transaction.atomic():
                        before = _row_count("/api/v1/visits/")
                        response = client.post(path, {"visits": [visit]}, format="json")
                        stored = _row_count("/api/v1/visits/") - before
                        transaction.set_rollback(True)
                    leak = scope == "outside" and stored > 0
                    cells.append(Cell(persona, label, scope, response.status_code, leak, f"stored {stored}"))
    page_cells = _pages(world, world_module)
    leaks = [c for c in cells if c.leak]
    outside = [c for c in cells if c.scope == "outside"]
    inside_reads = [c for c in cells if c.scope == "inside" and c.operation.startswith("GET") and "{id}" in c.operation]
    visible = sum(1 for c in inside_reads if c.status == 200)
    statuses = Counter(c.status for c in outside)
    report = [f"LEAK {c.persona:17} {c.operation:45} {c.scope:7} → {c.status} {c.note}" for c in leaks]
    report += [f"LEAK {c.persona:17} {c.operation:45} {c.scope:7} → {c.status} {c.note}" for c in page_cells if c.leak]
    report += [f"{c.persona:17} {c.operation:45} {c.scope:7} → {c.status} {c.note}" for c in cells if not c.leak]
    personas = len(clients)
    result = (
        f"{personas} personas × {len(operations)} operations: {count(len(cells), 'check')} "
        f"({len(outside)} out of scope: {', '.join(f'{s}×{n}' for s, n in sorted(statuses.items()))}; "
        f"in scope {visible}/{len(inside_reads)} retrieves answered 200): {count(len(leaks), 'leak')}"
    )
    page_leaks = [c for c in page_cells if c.leak]
    pages_result = (
        f"{personas - 1} personas + a login without a role × {len({c.operation for c in page_cells})} page, "
        f"partial and export URLs (GET and POST): {count(len(page_cells), 'check')}, "
        f"{count(len(page_leaks), 'leak')}"
    )
    return [
        Row(
            "access matrix: role × resource × action × in/out of scope",
            "0 leaks (out of scope always 404 or excluded from lists)",
            result,
            not leaks,
        ),
        Row(
            "access matrix: pages, htmx partials and exports",
            "0 leaks (an object outside the scope: 403/404, none of its names in the body, nothing changed)",
            pages_result,
            not page_leaks,
        ),
    ], report


def _pages(world, world_module) -> list[Cell]:
    """Every page URL (from the URL patterns: pages, htmx partials, exports) per persona, with the ids and
    ``?area=`` of the corner outside its scope: the answer must be 403/404/405 (or a redirect), must name
    nothing of that corner, and must change nothing; a login without a role is tried too."""
    import re

    from django.db import transaction
    from django.test import Client
    from django.urls import URLPattern, URLResolver, get_resolver

    from accounts.models import User
    from areas.models import Area
    from households.models import Household
    from members.models import Member
    from teams.models import Team

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if not route.startswith(("api/", "admin/", "i18n/")):
                    yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and entry.name not in ("login", "logout", "service-worker", "manifest"):
                yield entry.name, route

    pages = list(walk(get_resolver().url_patterns))
    kinds = {"member-edit": "member", "member-retire": "member", "commune-hamlets": "commune"}
    users = dict(world.users)
    nobody, _created = User.objects.get_or_create(username="r.no_role")
    users["no_role"] = nobody.pk
    cells: list[Cell] = []
    for persona, user_id in users.items():
        client = Client()
        client.force_login(User.objects.get(pk=user_id))
        outside_name = world_module.SCOPE.get(persona, ("A1", "B1"))[1]
        corner = world.corners[outside_name]
        secrets = [
            Team.objects.get(pk=corner.team).name,
            Member.objects.get(pk=corner.member).full_name,
            Member.objects.get(pk=corner.leader).full_name,
            Household.objects.get(pk=corner.household).head_name,
            Area.objects.get(pk=corner.hamlet).name,
        ]
        ids = {
            "team": corner.team,
            "member": corner.member,
            "report": corner.report,
            "import": corner.import_job,
            "commune": corner.commune,
            "hamlet": corner.hamlet,
        }
        for name, route in pages:
            kind = kinds.get(name) or next((k for k in ids if name.startswith(k)), "team")
            if name.startswith("household-checklist"):
                kind = "hamlet"
            url = "/" + re.sub(
                r"<(?:\w+:)?(\w+)>",
                lambda m, kind=kind, ids=ids: {"kind": "members", "action": "approve"}.get(m.group(1), str(ids[kind])),
                route,
            )
            has_id = "<int:" in route
            url += ("&" if "?" in url else "?") + f"area={corner.hamlet}"
            for method in ("GET", "POST"):
                before = _fingerprint(corner)
                with transaction.atomic():
                    response = getattr(client, method.lower())(url)
                    body = response.content.decode(errors="replace") if not response.streaming else ""
                    changed = _fingerprint(corner) != before
                    transaction.set_rollback(True)
                named = [secret for secret in secrets if secret and secret in body]
                refused = response.status_code in (302, 403, 404, 405)
                leak = bool(named) or changed or (has_id and not refused) or response.status_code >= 500
                note = f"names {named}" if named else ("changed" if changed else "")
                cells.append(Cell(persona, f"{method} /{route}", "outside", response.status_code, leak, note))
    return cells


def _fingerprint(corner) -> tuple:
    """What a write on the corner would change: its team, members, household and report."""
    from households.models import Household
    from members.models import Member
    from reports.models import Report
    from teams.models import Team

    return (
        tuple(Team.objects.filter(pk=corner.team).values_list("status", "name", "dissolved_on")),
        tuple(Member.objects.filter(team_id=corner.team).order_by("pk").values_list("pk", "left_on", "phone")),
        tuple(Household.objects.filter(pk=corner.household).values_list("code", "head_name", "phone")),
        tuple(Report.objects.filter(pk=corner.report).values_list("status", "submitted_at", "approved_at")),
    )


def _row_count(prefix: str) -> int:
    from accounts.models import User
    from areas.models import Area
    from households.models import Household, Visit
    from imports.models import ImportJob
    from members.models import Member, TrainingSession
    from reports.models import Report, Target
    from teams.models import Team

    model = {
        "/api/v1/areas/": Area, "/api/v1/users/": User, "/api/v1/teams/": Team, "/api/v1/members/": Member,
        "/api/v1/training-sessions/": TrainingSession, "/api/v1/households/": Household, "/api/v1/visits/": Visit,
        "/api/v1/targets/": Target, "/api/v1/reports/": Report, "/api/v1/imports/": ImportJob,
    }[prefix]  # fmt: skip
    return model.objects.count()


def _export_contains(response, text: str) -> bool:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":
        import io

        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        return any(text in str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    return text.encode() in content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="(the matrix is the same: it takes seconds)")
    parser.add_argument("--verbose", action="store_true", help="print every cell")
    args = parser.parse_args()
    rows, report = run()
    leaks = [line for line in report if line.startswith("LEAK")]
    for line in report if args.verbose else leaks[:60]:
        print(line, file=sys.stderr)
    emit(rows)


if __name__ == "__main__":
    main()
