"""Malformed requests answer 4xx, never 500 (issue 12): ids that are not ids, query values of the wrong type,
bodies too deep or too large, periods outside any plan, a reason that is not text, and identical creates racing
each other."""

import json
import threading
import time

import pytest
from django.db import connection
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role, RoleAssignment, User
from areas.models import Area
from households.models import Household
from tests.conftest import PASSWORD, ensure_units

NOT_IDS = ["4.88e-185", "abc", "99999999999999999999", "-1", "1e3", "%C2%B2"]
METHODS = ("get", "put", "patch", "delete", "post")


def _detail_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation of the API's schema whose path holds an ``{id}``."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [(method, path) for path, ops in paths.items() if "{id}" in path for method in ops if method in METHODS]


DETAIL_OPERATIONS = _detail_operations()


def test_the_schema_served_has_the_detail_routes_the_tests_below_walk_through(api, province_admin):
    served = api(province_admin).get("/api/schema/?format=json").json()["paths"]
    walked = {path for _method, path in DETAIL_OPERATIONS}
    assert walked == {path for path in served if "{id}" in path}
    assert len(walked) >= 16 and len(DETAIL_OPERATIONS) >= 35  # every resource's detail route and its actions


@pytest.mark.parametrize(("method", "path"), DETAIL_OPERATIONS, ids=[f"{m} {p}" for m, p in DETAIL_OPERATIONS])
def test_an_id_that_is_not_one_is_not_found_for_a_province_admin(api, province_admin, method, path):
    client = api(province_admin)
    for value in NOT_IDS:
        response = getattr(client, method)(path.replace("{id}", value), {}, format="json")
        assert response.status_code == 404, (value, response.status_code, response.content[:300])


@pytest.mark.parametrize(
    "url",
    [
        "/teams/{}/",
        "/teams/{}/edit/",
        "/teams/members/{}/edit/",
        "/imports/{}/",
        "/reports/{}/print/",
        "/communes/{}/hamlets/",
        "/households/checklist/{}/",
    ],
)
def test_pages_answer_not_found_for_an_id_beyond_the_database_range(province_admin, url):
    client = Client()
    client.force_login(province_admin)
    for value in ("99999999999999999999", "9223372036854775808"):
        assert client.get(url.format(value)).status_code == 404, url.format(value)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/households/?page=abc",
        "/api/v1/households/?page=0",
        "/api/v1/households/?page=-3",
        "/api/v1/households/?page_size=abc",
        "/api/v1/households/?page_size=0",
        "/api/v1/households/?area=abc",
        "/api/v1/visits/?team=abc",
        "/api/v1/visits/?date_from=2026-13-45",
        "/api/v1/targets/?year=abc",
        "/api/v1/kpis/?period=2026&area=abc",
        "/api/v1/kpis/?period=2026&breakdown=parents",
    ],
)
def test_a_query_value_of_the_wrong_type_is_a_bad_request(api, province_admin, url):
    response = api(province_admin).get(url)
    assert response.status_code == 400, (url, response.status_code, response.content[:300])
    assert response.json()  # in the API's error format: {field: [message]} or {detail}


def test_a_page_beyond_the_last_is_not_found_as_drf_answers_it(api, province_admin):
    assert api(province_admin).get("/api/v1/households/?page=99999999999999999999").status_code == 404


@pytest.mark.parametrize("depth", [33, 100, 100_000])
def test_json_nested_deeper_than_32_levels_is_refused_with_a_vietnamese_message(api, commune_officer_a, depth):
    body = "[" * depth + "]" * depth
    response = api(commune_officer_a).post("/api/v1/households/", body, content_type="application/json")
    assert response.status_code == 400
    assert "lồng nhau quá sâu" in response.json()["detail"]


def test_json_nested_32_levels_deep_reaches_the_view(api, commune_officer_a):
    body = json.dumps({"visits": json.loads("[" * 31 + "]" * 31)})
    response = api(commune_officer_a).post("/api/v1/visits/bulk/", body, content_type="application/json")
    assert response.status_code in (200, 400, 403)
    assert "lồng nhau" not in response.content.decode()


def test_a_body_over_four_megabytes_is_refused_with_413_and_nothing_is_stored(api, province_admin, hamlet_a1):
    body = json.dumps({"area": hamlet_a1.pk, "name": "Tổ quá lớn", "established_on": "2026-01-05",
                       "notes": "a" * (4 * 1024 * 1024)})  # fmt: skip
    response = api(province_admin).post("/api/v1/teams/", body, content_type="application/json")
    assert response.status_code == 413
    assert "quá lớn" in response.json()["detail"] and "4 MB" in response.json()["detail"]
    assert not hamlet_a1.teams.exists()


@pytest.mark.parametrize("period", ["9999-12", "9999-Q4", "9999", "0000-01", "1999-12", "2101-01",
                                    "9999-12-01..9999-12-31", "٢٠٢٦-10"])  # fmt: skip
def test_a_period_outside_2000_to_2100_is_a_bad_request_for_kpis_and_reports(api, province_admin, commune_a, period):
    client = api(province_admin)
    kpis = client.get("/api/v1/kpis/", {"period": period, "area": commune_a.pk})
    assert kpis.status_code == 400 and "period" in kpis.json()
    report = client.post("/api/v1/reports/", {"area": commune_a.pk, "period": period})
    assert report.status_code == 400 and "period" in report.json()


@pytest.mark.parametrize("month", ["9999-12", "0000-01", "2026-1", "2026-Q4", "abc"])
def test_the_team_month_of_a_month_outside_the_calendar_is_a_bad_request(api, team_member_a1, month):
    response = api(team_member_a1).get("/api/v1/visits/team-month/", {"month": month})
    assert response.status_code == 400 and "month" in response.json()


def test_the_team_month_of_a_real_month_still_answers(api, team_member_a1):
    assert api(team_member_a1).get("/api/v1/visits/team-month/", {"month": "2026-10"}).status_code == 200


@pytest.mark.parametrize("reason", [["Thiếu số liệu"], {"text": "Thiếu"}, True])
def test_a_return_reason_that_is_not_text_is_a_bad_request(api, province_admin, commune_a, reason):
    from reports.models import Report, ReportStatus

    report = Report.objects.create(area=commune_a, period="2026-09", status=ReportStatus.SUBMITTED)
    response = api(province_admin).post(f"/api/v1/reports/{report.pk}/return/", {"reason": reason}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


# --- Races: identical creates at the same moment -----------------------------------------------------------


def _waiting_on_me() -> int:
    """How many sessions wait for a lock this session holds."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # inside a transaction, the view is a snapshot
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")
        return cursor.fetchone()[0]


def _race(table: str, user: User, send, n: int = 3) -> list:
    """Run ``send()`` in ``n`` threads so that every one passes the service's check before any inserts: the test
    holds a lock on ``table`` that lets reads through but not inserts, waits until the ``n`` requests are all
    blocked on it (``pg_blocking_pids``), then lets them go. Answers in the order they came."""
    answers, errors = [], []

    def one():
        try:
            answers.append(send())
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    Token.objects.get_or_create(user=user)  # before: the threads only read it
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while _waiting_on_me() < n and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
        blocked = _waiting_on_me()
        cursor.execute("COMMIT")
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert blocked == n, f"only {blocked} of {n} requests reached the insert together"
    return answers


def _token_client(user: User):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def race_officer(transactional_db):
    ensure_units()
    from areas.models import Level, Structure

    province = Area.objects.get(structure=Structure.CURRENT, level=Level.PROVINCE, code="80")
    commune = Area.objects.filter(parent=province, level=Level.COMMUNE).order_by("code")[0]
    user = User.objects.create_user(username="xa.dua", password=PASSWORD, full_name="Xã Đua")
    RoleAssignment.objects.create(user=user, role=Role.COMMUNE_OFFICER, area=commune)
    return user, commune


@pytest.mark.django_db(transaction=True)
def test_the_same_hamlet_created_three_times_at_once_gives_one_201_and_400s(race_officer):
    user, commune = race_officer
    body = {"parent": commune.pk, "name": "Ấp Đua Nhau", "kind": "Ấp"}
    answers = _race("areas_area", user, lambda: _token_client(user).post("/api/v1/areas/", body, format="json"))
    assert sorted(a.status_code for a in answers) == [201, 400, 400]
    for refused in (a for a in answers if a.status_code == 400):
        assert refused.json() == {"name": ["Xã này đã có thôn, ấp trùng tên."]}, refused.json()
    assert Area.objects.filter(parent=commune, name="Ấp Đua Nhau").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_household_code_created_at_once_gives_one_201_and_400s(race_officer):
    from areas import services as area_services

    user, commune = race_officer
    hamlet = area_services.hamlet_create(parent=commune, name="Ấp Hộ Đua", kind="Ấp")
    body = {"area": hamlet.pk, "code": "HD-01", "head_name": "Nguyễn Văn Đua"}
    answers = _race("households_household", user, lambda: _token_client(user).post("/api/v1/households/", body))
    assert sorted(a.status_code for a in answers) == [201, 400, 400]
    assert all(list(a.json()) == ["code"] for a in answers if a.status_code == 400)
    assert Household.objects.filter(area=hamlet, code="HD-01").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_team_founded_at_once_gives_one_201_and_400s(race_officer):
    from areas import services as area_services
    from teams.models import Team

    user, commune = race_officer
    hamlet = area_services.hamlet_create(parent=commune, name="Ấp Tổ Đua", kind="Ấp")
    body = {"area": hamlet.pk, "name": "Tổ CNSCĐ Ấp Tổ Đua", "established_on": "2026-01-05"}
    answers = _race("teams_team", user, lambda: _token_client(user).post("/api/v1/teams/", body))
    assert sorted(a.status_code for a in answers) == [201, 400, 400], [a.content[:200] for a in answers]
    assert all(list(a.json()) == ["area"] for a in answers if a.status_code == 400)
    assert Team.objects.filter(area=hamlet).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_hamlet_added_on_the_page_at_once_gives_one_success_and_a_400_page(race_officer):
    user, commune = race_officer

    def send():
        client = Client()
        client.force_login(user)
        return client.post(f"/communes/{commune.pk}/hamlets/", {"name": "Ấp Trang Đua", "kind": "Ấp"})

    answers = _race("areas_area", user, send, n=2)
    assert sorted(a.status_code for a in answers) == [302, 400]
    refused = next(a for a in answers if a.status_code == 400)
    assert "Xã này đã có thôn, ấp trùng tên." in refused.content.decode()
    assert Area.objects.filter(parent=commune, name="Ấp Trang Đua").count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "/teams/?area=²",
        "/teams/new/?area=²",
        "/teams/export.xlsx?area=²",
        "/dashboard/?area=²",
        "/dashboard/?year=²",
        "/teams/?area=99999999999999999999",
        "/dashboard/?area=99999999999999999999",
        "/api/v1/households/export/?area=²",
        "/api/v1/households/export-xlsx/?area=²",
    ],
)
def test_pages_and_exports_given_an_area_that_is_not_an_id_answer_without_a_server_error(province_admin, url):
    client = Client(raise_request_exception=False)
    client.force_login(province_admin)
    assert client.get(url).status_code in (200, 400, 404)
