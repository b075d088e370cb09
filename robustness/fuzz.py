"""API fuzzing: schemathesis against the portal's own ``/api/schema/``, every operation, two personas.

The portal runs in-process as a WSGI application (schemathesis calls it directly, no socket) on the suite's
database. For each operation and persona (a province admin's and a team member's token), schemathesis' full
generation:

* its **coverage phase**, positive and negative: boundary values, every required part missing, each parameter and
  body property of the wrong type (a path ``id`` that is a string, a float, a huge number…), at most
  ``--coverage-cap`` cases per operation;
* its **fuzzing phase**, positive and negative (``--examples`` cases each), first at random, then with the path's
  ``id`` set to an object inside the persona's scope (random ids are nearly always 404), then with valid values
  of the query parameters the generator seldom guesses (a period, an area in scope);
* **path parameters of every type**: every ``{id}`` also set to ``ODD_IDS`` (an exponent float, a negative, a
  number beyond ``bigint``, text, a boolean…), and the query parameters of ``ODD_QUERY`` to values of the wrong
  type or out of range (``period=9999-12``, ``area=²``, ``page=0``…).

Write operations run after the reads, and ``DELETE`` last, so that the objects the reads aim at are still there.
``--quick`` (the suite's smoke test): the province admin only, one positive and one negative case per operation
three odd ids and the odd periods and months, no coverage phase.

Counted: responses with a 5xx status, and responses that break the schema (a documented status whose body or
content type does not match it). An undocumented status code is listed, not counted.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict

from robustness.common import Row, count, django_setup, emit, scratch_database

PERSONAS = ("province_admin", "team_member")
# What a failure counts as (schemathesis' failure classes); anything else is listed, not counted.
COUNTED = {
    "ServerError": "5xx",
    "ContentTypeServerError": "5xx",
    "JsonSchemaError": "schema",
    "MalformedJson": "schema",
    "MissingContentType": "schema",
    "MalformedMediaType": "schema",
    "ContentDeserializationError": "schema",
    "UndefinedContentType": "schema",
    "DiscriminatorMismatch": "schema",
    "check-error": "schema",
}
# Path ids of every type: what a client could put in ``{id}`` that is not an id.
ODD_IDS = ("4.88e-185", "99999999999999999999", "abc", "-1", "0", "9223372036854775808", "1.5", "true", "%00", " 1")
QUICK_ODD_IDS = 3  # --quick sends the first three
# Query values of the wrong type or out of range, by parameter name (--quick: periods and months only).
ODD_QUERY = {
    "period": ("9999-12", "9999-Q4", "0000-01", "9999", "2026-13", "2026-10-01..9999-12-31"),
    "month": ("9999-12", "0000-01", "2026-1", "2026-Q4"),
    "year": ("9999", "-1", "abc", "99999999999999999999"),
    "area": ("²", "abc", "99999999999999999999", "-1", "1.5"),
    "page": ("abc", "0", "-1", "99999999999999999999", "²"),
    "page_size": ("abc", "0", "99999999999999999999"),
}
QUICK_ODD_QUERY = ("period", "month")
METHOD_ORDER = {"GET": 0, "HEAD": 0, "OPTIONS": 0, "POST": 1, "PUT": 2, "PATCH": 2, "DELETE": 3}
RESOURCE_OF = {  # path prefix → attribute of world.Corner whose id is "an object in scope"
    "/api/v1/areas/": "hamlet",
    "/api/v1/teams/": "team",
    "/api/v1/members/": "member",
    "/api/v1/training-sessions/": "training_session",
    "/api/v1/households/": "household",
    "/api/v1/visits/": "visit",
    "/api/v1/targets/": "target",
    "/api/v1/reports/": "report",
    "/api/v1/imports/": "import_job",
    "/api/v1/users/": "member_user",
}


def query_hints(operation, world, persona: str) -> dict:
    """Valid values of the query parameters the generator seldom guesses (a period, an area in scope)."""
    from robustness.world import SCOPE

    inside = world.corners[SCOPE[persona][0]]
    hints = {"period": "2026-10", "month": "2026-10", "area": inside.hamlet, "year": 2026}
    names = {p.name for p in operation.query}
    return {name: value for name, value in hints.items() if name in names}


def known_id(path: str, world, persona: str):
    from robustness.world import SCOPE

    inside = world.corners[SCOPE[persona][0]]
    for prefix, attribute in RESOURCE_OF.items():
        if path.startswith(prefix):
            return getattr(inside, attribute)
    return None


def run(examples: int, seed: int = 2026, quick: bool = False, coverage_cap: int = 200) -> tuple[list[Row], list[str]]:
    django_setup(DATABASE_URL=scratch_database("fuzz"))
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import FailureGroup
    from schemathesis.generation import GenerationMode
    from schemathesis.generation.drivers import CoverageGenerator
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.generation.overrides import Override
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    from robustness import world as world_module

    world = world_module.build()
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: (METHOD_ORDER.get(op.method.upper(), 1), op.path))
    failures: dict[tuple, dict] = {}
    statuses: dict[str, int] = defaultdict(int)
    phases: dict[str, int] = defaultdict(int)
    calls = 0
    started = time.monotonic()

    def handle(case, *, persona, operation, phase) -> None:
        nonlocal calls
        response = case.call()
        calls += 1
        phases[phase] += 1
        statuses[f"{response.status_code // 100}xx"] += 1
        try:
            case.validate_response(
                response,
                checks=[not_a_server_error, response_schema_conformance, content_type_conformance,
                        status_code_conformance],
            )  # fmt: skip
        except FailureGroup as group:
            for failure in group.exceptions:
                record(persona, operation.label, type(failure).__name__, response.status_code,
                       str(getattr(failure, "title", failure)), case.as_curl_command(), response.text)  # fmt: skip
        except Exception as error:  # a check that cannot run is itself worth reading
            record(persona, operation.label, "check-error", response.status_code, repr(error), "", "")

    def record(persona, label, check, status, title, curl, body) -> None:
        key = (persona, label, check, status)
        if key not in failures:
            failures[key] = {"persona": persona, "operation": label, "check": check, "status": status,
                             "title": title[:200], "curl": curl[:600], "body": body[:300], "n": 0}  # fmt: skip
        failures[key]["n"] += 1

    def odd_ids(case, *, persona, operation, phase) -> None:
        """One generated case sent once per odd id (one Hypothesis run, not one each)."""
        for odd in ODD_IDS[:QUICK_ODD_IDS] if quick else ODD_IDS:
            case.path_parameters = {**(case.path_parameters or {}), "id": odd}
            handle(case, persona=persona, operation=operation, phase=phase)

    def odd_query(case, *, persona, operation, phase) -> None:
        """One generated case sent once per odd value of each of its query parameters in ``ODD_QUERY``."""
        names = {p.name for p in operation.query} & set(QUICK_ODD_QUERY if quick else ODD_QUERY)
        base = dict(case.query or {})
        for name in sorted(names):
            for odd in ODD_QUERY[name]:
                case.query = {**base, name: odd}
                handle(case, persona=persona, operation=operation, phase=phase)

    def fuzz(persona, operation, mode, n, phase, variant) -> None:
        strategy = operation.as_strategy(generation_mode=mode, headers=headers, **variant)
        send = {"odd ids": odd_ids, "odd query values": odd_query}.get(phase, handle)
        one = _hypothesis_test(
            strategy, n, seed, functools.partial(send, persona=persona, operation=operation, phase=phase)
        )
        try:
            one()
        except Unsatisfiable as error:
            # negative: nothing in this operation can be made invalid (its only parameter is pinned)
            if mode == GenerationMode.POSITIVE:
                record(persona, operation.label, "generation", 0, repr(error), "", "")
        except Exception as error:  # generation impossible for this operation / mode
            record(persona, operation.label, "generation", 0, repr(error), "", "")

    def coverage(persona, operation) -> None:
        generator = CoverageGenerator(
            operation=operation,
            generation_modes=list(GenerationMode),
            generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
            auth_storage=None,
            override=Override(headers=headers),
            feedback=FeedbackSources(),
        )
        try:
            for index, case in enumerate(generator):
                if index >= coverage_cap:
                    break
                case.headers = {**(case.headers or {}), **headers}  # every case as the persona
                handle(case, persona=persona, operation=operation, phase="coverage")
        except Exception as error:  # generation impossible for this operation
            record(persona, operation.label, "generation", 0, repr(error), "", "")

    personas = PERSONAS[:1] if quick else PERSONAS
    modes = list(GenerationMode)  # positive and negative
    for persona in personas:
        headers = {"Authorization": f"Token {world_module.token(world.users[persona])}"}
        for operation in operations:
            if not quick:
                coverage(persona, operation)
            pinned = known_id(operation.path, world, persona)
            variants: list[dict] = [{}]
            if pinned is not None and "{id}" in operation.path:
                variants.append({"path_parameters": {"id": pinned}})
            if hints := query_hints(operation, world, persona):
                variants.append({"query": hints})
            for mode in modes:
                for variant in variants[-1:] if quick else variants:
                    fuzz(persona, operation, mode, examples, "fuzzing", variant)
            if "{id}" in operation.path:
                fuzz(persona, operation, GenerationMode.POSITIVE, 1, "odd ids", {})
            if {p.name for p in operation.query} & set(QUICK_ODD_QUERY if quick else ODD_QUERY):
                valid = {"query": hints} if hints else {}  # the other parameters valid: the odd one is the only fault
                fuzz(persona, operation, GenerationMode.POSITIVE, 1, "odd query values", valid)
    seconds = time.monotonic() - started
    server_errors = sum(f["n"] for f in failures.values() if COUNTED.get(f["check"]) == "5xx")
    schema_errors = sum(f["n"] for f in failures.values() if COUNTED.get(f["check"]) == "schema")
    undocumented = sum(f["n"] for f in failures.values() if f["check"] == "UndefinedStatusCode")
    report = []
    for f in sorted(failures.values(), key=lambda f: (f["check"], f["operation"], f["persona"])):
        report.append(f"[{f['check']}] {f['persona']} {f['operation']} → {f['status']} ×{f['n']}: {f['title']}")
        if f["check"] in COUNTED:
            report.append(f"    {f['curl']}\n    body: {f['body']}")
    ops = len(operations)
    cases = ", ".join(f"{phase} {n:,}" for phase, n in sorted(phases.items()))
    result = (
        f"{ops} operations × {count(len(personas), 'persona')}, {count(calls, 'case')} ({cases}) in {seconds:.0f} s "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(statuses.items()))}): "
        f"{count(server_errors, 'server error')}, {count(schema_errors, 'schema violation')} "
        f"({undocumented} undocumented status codes, not counted)"
    )
    return [
        Row(
            "API fuzzing (schemathesis, every operation of /api/schema/)",
            "0 server errors (5xx), 0 responses that break the schema",
            result,
            server_errors == 0 and schema_errors == 0,
        )
    ], report


def _hypothesis_test(strategy, examples: int, seed: int, handle):
    """A Hypothesis test drawing ``examples`` cases from ``strategy``; no shrinking (a failure is recorded, not
    raised), no example database."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(case=strategy)
    def one(case):
        handle(case)

    return one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke: 1 positive and 1 negative case per operation and 3 odd ids, as the province admin",
    )
    parser.add_argument("--examples", type=int, default=30, help="examples per operation, persona, mode and variant")
    parser.add_argument("--coverage-cap", type=int, default=200, help="coverage-phase cases per operation, at most")
    parser.add_argument("--verbose", action="store_true", help="print every distinct failure")
    args = parser.parse_args()
    rows, report = run(1 if args.quick else args.examples, quick=args.quick, coverage_cap=args.coverage_cap)
    for line in report if args.verbose else report[:40]:
        print(line, file=sys.stderr)
    emit(rows)


if __name__ == "__main__":
    main()
