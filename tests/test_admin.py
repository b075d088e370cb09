"""The Django admin is reserved to active superusers (``cnscd.admin.PortalAdminSite``).

Every URL of every registered ModelAdmin (from ``admin.site._registry``, not a list kept by hand) is tried by
every persona made staff with every Django permission, by a staff login without a role and by an inactive
superuser: each answers a redirect to the admin login (or 403/404) and the database is the same after the POSTs.
The attacks of issue 11 are tried one by one, each beside the superuser's same request, which does change the
data (so the refusal cannot come from a malformed request). No ModelAdmin keeps per-request state.
"""

import threading
import uuid
from datetime import date

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import Role, RoleAssignment, User
from areas.models import Area, Level
from households import services as household_services
from households import visits as visit_services
from households.models import ActivityType, ExportLog
from imports.models import ImportJob
from members import services as member_services
from members.models import TrainingSession
from robustness.admin import admin_requests, form_of, refused
from teams import services as team_services
from teams.models import Team
from tests.conftest import PASSWORD, _user, ensure_units

PERSONAS = (
    "province_admin",
    "viewer",
    "commune_officer_a",
    "commune_officer_b",
    "team_leader_a1",
    "team_member_a1",
    "staff_without_role",
    "inactive_superuser",
)
HOUSEHOLD_PHONE = "0912345678"
MEMBER_PHONE = "0987650001"


pytestmark = pytest.mark.usefixtures("real_units")


@pytest.fixture
def staff_without_role(db) -> User:
    return _user("nhan.vien", is_staff=True)


@pytest.fixture
def inactive_superuser(db) -> User:
    return _user("root.cu", is_superuser=True, is_staff=True, is_active=False)


@pytest.fixture
def other_province_commune(legacy_province) -> Area:
    """A commune of the legacy tree (Long An): outside every persona's scope."""
    return Area.objects.filter(path__startswith=legacy_province.path, level=Level.COMMUNE).order_by("code")[0]


@pytest.fixture
def rows(hamlet_a1, commune_a, team_member_a1, other_province_commune):
    """At least one row of every registered model, so that change, delete, history and actions have a target."""
    team = team_services.team_found(
        acting_user=None, area=hamlet_a1, name="Tổ CNSCĐ Ấp A1", established_on=date(2024, 1, 15)
    )
    member = member_services.member_create(
        acting_user=None, team=team, full_name="Nguyễn Văn Tổ", gender="male", organization="youth_union",
        phone=MEMBER_PHONE, user=team_member_a1,
    )  # fmt: skip
    household = household_services.household_create(
        acting_user=None, area=hamlet_a1, code="A1-001", head_name="Chủ hộ Bí Mật", phone=HOUSEHOLD_PHONE,
        consent_given=True, size=4,
    )  # fmt: skip
    visit_services.visit_record(
        member=member, household=household, area=None, date=date(2026, 10, 5), channel="door_to_door",
        activities={"vneid_activation": 1}, client_uuid=uuid.uuid4(), acting_user=team_member_a1,
    )  # fmt: skip
    member_services.training_session_save(
        acting_user=None,
        session=TrainingSession(area=hamlet_a1, held_on=date(2025, 3, 1), topic="Tập huấn A1"),
        attendees=[member],
    )
    ExportLog.objects.create(user=team_member_a1, kind="household_checklist", rows=1, area=hamlet_a1)
    ImportJob.objects.create(
        kind="members", file="imports/a.csv", original_name="a.csv", created_by=team_member_a1, status="rejected"
    )
    stranger = _user("nguoi.long.an", Role.COMMUNE_OFFICER, other_province_commune)
    Token.objects.create(user=stranger)
    access = {"user_agent": "thử", "ip_address": "10.0.0.9", "username": stranger.username}
    access |= {"http_accept": "*/*", "path_info": "/login/"}
    AccessAttempt.objects.create(**access, get_data="", post_data="", failures_since_start=1)
    AccessLog.objects.create(**access)
    AccessFailureLog.objects.create(**access)
    Group.objects.create(name="Nhóm thử")
    return {"team": team, "member": member, "household": household, "stranger": stranger}


@pytest.fixture
def root_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def _staff(user: User) -> User:
    """The persona made staff with every Django permission: only the admin site's own gate is left."""
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def snapshot() -> dict:
    """Every row of every table the admin can reach (the registered models, their m2m tables, the tokens)."""
    tables = set()
    for model in [*admin.site._registry, Token, RoleAssignment, Permission]:
        model = model._meta.concrete_model
        if not model._meta.managed:
            continue
        tables.add(model._meta.db_table)
        tables.update(f.remote_field.through._meta.db_table for f in model._meta.local_many_to_many)
    with connection.cursor() as cursor:
        state = {}
        for table in sorted(tables):
            cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # noqa: S608 — table names of the models
            state[table] = cursor.fetchall()
    return state


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_staff_persona_reads_or_writes_anything_through_any_admin_url(request, persona, rows, root_client):
    calls = admin_requests(root_client)
    user = _staff(request.getfixturevalue(persona))
    client = _client(user)
    before = snapshot()
    answers = [(method, url, _send(client, method, url, body)) for method, url, body in calls]
    opened = [(method, url, r.status_code) for method, url, r in answers if not refused(r)]
    assert opened == []
    assert snapshot() == before
    assert len(calls) > 150  # every registered model with its change, delete, history, actions and POSTs
    assert {method for method, _url, _body in calls} == {"GET", "POST"}


def _send(client: Client, method: str, url: str, body: dict):
    return client.get(url) if method == "GET" else client.post(url, body)


def test_the_superuser_reads_every_changelist_and_the_admin_index(rows, root_client):
    assert root_client.get(reverse("admin:index")).status_code == 200
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert root_client.get(url).status_code == 200, url


def test_the_admin_login_refuses_staff_who_are_not_superusers(commune_officer_a, superuser):
    _staff(commune_officer_a)
    client = Client()
    response = client.post(reverse("admin:login"), {"username": "xa.a", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "errornote" in response.content.decode()
    response = client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(superuser.pk)


# The attacks of issue 11, each beside the superuser's same request (which does change the data).


def _user_change(client: Client, root_client: Client, user: User, **changes) -> int:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    body = form_of(root_client.get(url), "user_form") | changes | {"_save": "Lưu"}
    return client.post(url, body).status_code


def test_a_staff_commune_officer_cannot_make_himself_superuser(commune_officer_a, root_client):
    _staff(commune_officer_a)
    _user_change(_client(commune_officer_a), root_client, commune_officer_a, is_superuser="on")
    commune_officer_a.refresh_from_db()
    assert not commune_officer_a.is_superuser
    assert _user_change(root_client, root_client, commune_officer_a, is_superuser="on") == 302
    commune_officer_a.refresh_from_db()
    assert commune_officer_a.is_superuser  # the same form, sent by a superuser, is a valid one


def test_a_staff_commune_officer_cannot_give_himself_province_admin(commune_officer_a, province, root_client):
    _staff(commune_officer_a)
    url = reverse("admin:accounts_roleassignment_add")
    body = {"user": commune_officer_a.pk, "role": Role.PROVINCE_ADMIN, "area": province.pk, "_save": "Lưu"}
    assert refused(_client(commune_officer_a).post(url, body))
    assert not commune_officer_a.role_assignments.filter(role=Role.PROVINCE_ADMIN).exists()
    assert root_client.post(url, body).status_code == 302
    assert commune_officer_a.role_assignments.filter(role=Role.PROVINCE_ADMIN).exists()


def test_a_staff_commune_officer_cannot_move_his_team_into_another_province(
    commune_officer_a, rows, other_province_commune, root_client
):
    _staff(commune_officer_a)
    team = rows["team"]
    url = reverse("admin:teams_team_change", args=[team.pk])
    body = form_of(root_client.get(url), "team_form") | {"area": other_province_commune.pk, "_save": "Lưu"}
    assert refused(_client(commune_officer_a).post(url, body))
    assert Team.objects.get(pk=team.pk).area_id == team.area_id
    assert root_client.post(url, body).status_code == 302
    assert Team.objects.get(pk=team.pk).area_id == other_province_commune.pk


def test_a_staff_commune_officer_cannot_switch_an_activity_type_off_for_every_province(commune_officer_a, root_client):
    _staff(commune_officer_a)
    url = reverse("admin:households_activitytype_changelist")
    body = form_of(root_client.get(url), "changelist-form")
    first = ActivityType.objects.get(pk=body["form-0-id"])
    assert first.active
    body = {name: value for name, value in body.items() if name != "form-0-active"} | {"_save": "Lưu"}
    assert refused(_client(commune_officer_a).post(url, body))
    assert ActivityType.objects.get(pk=first.pk).active
    assert root_client.post(url, body).status_code == 302
    assert not ActivityType.objects.get(pk=first.pk).active


def test_staff_read_no_token_no_login_log_and_no_audit_event(commune_officer_a, rows, root_client):
    _staff(commune_officer_a)
    key = Token.objects.get(user=rows["stranger"]).key
    events = apps.get_model("households", "HouseholdEvent").objects.filter(pgh_obj=rows["household"])
    event = events.earliest("pgh_id").pgh_id  # its insert, with the full phone
    pages = {
        reverse("admin:authtoken_tokenproxy_changelist"): key,
        reverse("admin:axes_accesslog_changelist"): "nguoi.long.an",
        reverse("admin:axes_accessattempt_changelist"): "nguoi.long.an",
        reverse("admin:pghistory_events_change", args=[quote(f"households.HouseholdEvent:{event}")]): HOUSEHOLD_PHONE,
    }
    client = _client(commune_officer_a)
    for url, secret in pages.items():
        response = client.get(url)
        assert refused(response) and secret not in response.content.decode(), url
        assert secret in root_client.get(url).content.decode(), url  # the superuser's page does show it


def test_admin_lists_show_phones_masked_even_to_the_superuser(rows, root_client):
    households = root_client.get(reverse("admin:households_household_changelist")).content.decode()
    assert "A1-001" in households and HOUSEHOLD_PHONE not in households
    assert household_services.mask_phone(HOUSEHOLD_PHONE) in households
    members = root_client.get(reverse("admin:members_member_changelist")).content.decode()
    assert "Nguyễn Văn Tổ" in members and MEMBER_PHONE not in members
    assert household_services.mask_phone(MEMBER_PHONE) in members


def test_no_model_admin_keeps_anything_from_a_request(rows, root_client):
    calls = [(m, u, b) for m, u, b in admin_requests(root_client) if m == "GET"]
    before = {model: dict(vars(model_admin)) for model, model_admin in admin.site._registry.items()}
    for _method, url, _body in calls:
        root_client.get(url)
    after = {model: dict(vars(model_admin)) for model, model_admin in admin.site._registry.items()}
    grown = {model._meta.label: set(after[model]) ^ set(before[model]) for model in before}
    assert {label: names for label, names in grown.items() if names} == {}
    assert all(after[model][name] is value for model in before for name, value in before[model].items())


@pytest.mark.django_db(transaction=True)
def test_two_users_interleaved_on_the_household_list_each_get_their_own_answer(
    province, commune_a, hamlet_a1, superuser
):
    """Threads share the ModelAdmin instances, as gunicorn's do: the officer never gets the superuser's page."""
    ensure_units()
    household_services.household_create(
        acting_user=None, area=hamlet_a1, code="A1-777", head_name="Chủ hộ Song Song", phone=HOUSEHOLD_PHONE,
        consent_given=True,
    )  # fmt: skip
    officer = _staff(_user("xa.song.song", Role.COMMUNE_OFFICER, commune_a))
    url = reverse("admin:households_household_changelist")
    answers, barrier = {"root": [], "officer": []}, threading.Barrier(2)

    def browse(name: str, user: User):
        client = _client(user)
        barrier.wait()
        for _ in range(20):
            response = client.get(url)
            answers[name].append((response.status_code, response.content.decode()))
        connection.close()

    threads = [threading.Thread(target=browse, args=a) for a in (("root", superuser), ("officer", officer))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(status == 302 and "A1-777" not in body for status, body in answers["officer"])
    assert all(status == 200 and "A1-777" in body and HOUSEHOLD_PHONE not in body for status, body in answers["root"])
