"""Fixtures: the real units of province 80 (both structures) and the personas of docs/STYLE.md.

Personas: ``province_admin`` (current Tây Ninh, code 80), ``commune_officer_a`` / ``commune_officer_b`` (two of
its communes), ``team_leader_a1`` / ``team_member_a1`` (hamlet A1 of commune A), ``viewer`` (the province),
``anonymous``. ``api(user)`` gives a DRF client authenticated with that user's real token.

Rows every test file needs are defined here once: the teams of hamlets A1, A2, B1 (founded 15/01/2024) and
``member_a1``, the roster entry of ``team_member_a1``. A test file that needs a different row defines its own
fixture under a name that says how it differs (``secret_team_b1``, ``member_a1_with_phone``).
"""

import importlib
import os
from datetime import date

import pytest
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Role, RoleAssignment, User
from areas import services as area_services
from areas.models import Area, Level, Structure
from members.models import Member
from teams.models import Team

PASSWORD = "Mật-khẩu-thử-2026"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the real units of province 80 (legacy Long An and current Tây Ninh)."""
    with django_db_blocker.unblock():
        call_command("import_admin_units", province="80", stdout=open(os.devnull, "w"))


def ensure_units() -> None:
    """Reload province 80 and the catalogues made by data migrations (activities, indicators) if a
    transactional test — which empties every table after it — removed them."""
    if not Area.objects.filter(code="80", level=Level.PROVINCE).exists():
        call_command("import_admin_units", province="80", stdout=open(os.devnull, "w"))
    from django.apps import apps

    from households import visits as household_services
    from households.models import ActivityType

    if not ActivityType.objects.exists():
        for module, function in (
            ("households.migrations.0002_activity_catalogue", "load"),
            ("households.migrations.0006_activity_requires_note", "other_needs_a_note"),
            ("reports.migrations.0002_dirty_triggers_and_catalogue", "create_catalogue"),
        ):
            getattr(importlib.import_module(module), function)(apps, None)
        household_services.activity_types_forget()


def _user(username: str, role: str | None = None, area: Area | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, full_name=username.title(), **extra)
    if role:
        RoleAssignment.objects.create(user=user, role=role, area=area)
    return user


@pytest.fixture
def province(db) -> Area:
    ensure_units()
    return Area.objects.get(structure=Structure.CURRENT, level=Level.PROVINCE, code="80")


@pytest.fixture
def legacy_province(db) -> Area:
    ensure_units()
    return Area.objects.get(structure=Structure.LEGACY, level=Level.PROVINCE, code="80")


@pytest.fixture
def commune_a(province) -> Area:
    return Area.objects.filter(parent=province, level=Level.COMMUNE).order_by("code")[0]


@pytest.fixture
def commune_b(province) -> Area:
    return Area.objects.filter(parent=province, level=Level.COMMUNE).order_by("code")[1]


@pytest.fixture
def hamlet_a1(commune_a) -> Area:
    return area_services.hamlet_create(parent=commune_a, name="Ấp A1", kind="Ấp")


@pytest.fixture
def hamlet_a2(commune_a) -> Area:
    return area_services.hamlet_create(parent=commune_a, name="Ấp A2", kind="Ấp")


@pytest.fixture
def hamlet_b1(commune_b) -> Area:
    return area_services.hamlet_create(parent=commune_b, name="Ấp B1", kind="Ấp")


@pytest.fixture
def real_units(db) -> None:
    """A transactional test elsewhere may have flushed the units and catalogues loaded at session start; the
    activity catalogue's cache is dropped too (``pytestmark = pytest.mark.usefixtures("real_units")``)."""
    from households.visits import activity_types_forget

    ensure_units()
    activity_types_forget()


@pytest.fixture
def team_a1(hamlet_a1) -> Team:
    return Team.objects.create(area=hamlet_a1, name="Tổ CNSCĐ Ấp A1", established_on=date(2024, 1, 15))


@pytest.fixture
def team_a2(hamlet_a2) -> Team:
    return Team.objects.create(area=hamlet_a2, name="Tổ CNSCĐ Ấp A2", established_on=date(2024, 1, 15))


@pytest.fixture
def team_b1(hamlet_b1) -> Team:
    return Team.objects.create(area=hamlet_b1, name="Tổ CNSCĐ Ấp B1", established_on=date(2024, 1, 15))


@pytest.fixture
def member_a1(team_a1, team_member_a1) -> Member:
    """``team_member_a1`` on team A1's roster: the login that logs visits on the phone."""
    return Member.objects.create(
        team=team_a1, user=team_member_a1, full_name="Nguyễn Văn Tổ", gender="male", organization="youth_union"
    )


@pytest.fixture
def superuser(db) -> User:
    return _user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def province_admin(province) -> User:
    return _user("tinh.admin", Role.PROVINCE_ADMIN, province)


@pytest.fixture
def viewer(province) -> User:
    return _user("lanh.dao", Role.VIEWER, province)


@pytest.fixture
def commune_officer_a(commune_a) -> User:
    return _user("xa.a", Role.COMMUNE_OFFICER, commune_a)


@pytest.fixture
def commune_officer_b(commune_b) -> User:
    return _user("xa.b", Role.COMMUNE_OFFICER, commune_b)


@pytest.fixture
def team_leader_a1(hamlet_a1) -> User:
    return _user("to.truong.a1", Role.TEAM_LEADER, hamlet_a1)


@pytest.fixture
def team_member_a1(hamlet_a1) -> User:
    return _user("to.vien.a1", Role.TEAM_MEMBER, hamlet_a1)


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def api(db):
    """``api(user)``: an API client sending ``user``'s token, as an outside client would."""

    def make(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def fresh_counters(settings, tmp_path):
    """No refusal counted before or after the test (the counters live in this test run's own Redis database);
    uploads go to a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("no Redis reachable (REDIS_URL unset): this test needs a real Redis")
    return url


def pytest_collection_modifyitems(config, items):
    if os.environ.get("REDIS_URL"):
        return
    skip = pytest.mark.skip(reason="no Redis reachable (REDIS_URL unset): test needs a real Redis")
    for item in items:
        if "redis" in item.keywords:
            item.add_marker(skip)
