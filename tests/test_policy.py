"""The access policy (areas.policy) walked for every persona, and every page tried by every persona.

The table is the one rule: each (model, action) pair is allowed to exactly its roles, inside their scope, to
nobody without a role, and to nobody outside the scope. The code may only name pairs the table holds. Every page
of the portal (its URL patterns, not a list kept by hand) answers an anonymous visitor with the login page, and
a persona asking for an object outside their scope with 404 (or 403), never with the object.
"""

import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role, RoleAssignment, User
from areas import policy
from areas.models import Level
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("accounts", "areas", "cnscd", "households", "imports", "members", "reports", "teams")


def _persona(username, role, area):
    user = User.objects.create_user(username=username, password=PASSWORD)
    RoleAssignment.objects.create(user=user, role=role, area=area)
    return user


@pytest.fixture
def personas(province, commune_a, hamlet_a1):
    """One user per role, each on the unit its role is given on, all inside commune A's tree."""
    from areas.models import Area

    # The current structure has no districts: a district officer is tried on a legacy one.
    district = Area.objects.filter(level=Level.DISTRICT).order_by("code").first()
    return {
        Role.PROVINCE_ADMIN: (_persona("p.admin", Role.PROVINCE_ADMIN, province), hamlet_a1),
        Role.DISTRICT_OFFICER: (
            _persona("p.district", Role.DISTRICT_OFFICER, district),
            Area.objects.filter(path__startswith=district.path, level=Level.COMMUNE).first(),
        ),
        Role.COMMUNE_OFFICER: (_persona("p.commune", Role.COMMUNE_OFFICER, commune_a), hamlet_a1),
        Role.TEAM_LEADER: (_persona("p.leader", Role.TEAM_LEADER, hamlet_a1), hamlet_a1),
        Role.TEAM_MEMBER: (_persona("p.member", Role.TEAM_MEMBER, hamlet_a1), hamlet_a1),
        Role.VIEWER: (_persona("p.viewer", Role.VIEWER, province), hamlet_a1),
    }


def test_every_rule_of_the_table_allows_exactly_its_roles_inside_their_scope_and_nobody_outside(
    personas, hamlet_b1, legacy_province
):
    outside = legacy_province  # no persona above holds a role on the legacy province itself
    nobody = User.objects.create_user(username="p.norole", password=PASSWORD)
    tried = 0
    for model, actions in policy.POLICY.items():
        for action, allowed in actions.items():
            for role, (user, inside) in personas.items():
                expected = role in allowed
                assert policy.permits(user, model, action) is expected, (role, model, action)
                assert policy.permits(user, model, action, inside) is expected, (role, model, action, "inside")
                assert policy.permits(user, model, action, outside) is False, (role, model, action, "outside")
                tried += 1
            assert policy.permits(nobody, model, action) is False, (model, action)
    assert tried == 6 * sum(len(actions) for actions in policy.POLICY.values())


def test_superusers_may_do_everything_and_inactive_users_nothing(superuser, province_admin, province):
    province_admin.is_active = False
    for model, actions in policy.POLICY.items():
        for action in actions:
            assert policy.permits(superuser, model, action, province)
            assert not policy.permits(province_admin, model, action, province)


def test_an_action_missing_from_the_table_fails_loudly_instead_of_opening_a_door(province_admin):
    with pytest.raises(LookupError):
        policy.permits(province_admin, "household", "vieww")
    with pytest.raises(LookupError):
        policy.roles("nonexistent", "view")


PAIR = re.compile(
    r"""policy\.(?:permits|roles|areas)\((?:[\w.]+,\s*)?"(\w+)",\s*"(\w+)"|rule=\("(\w+)",\s*"(\w+)"\)"""
    r"""|RULES\s*[:=].*?$"""
)
RESTRICT = re.compile(r"""(\w+)\.objects(?:\.[\w()"=, ]+?)?\.restrict\([\w.]+,\s*"(\w+)"\)""")


def test_the_code_names_only_pairs_the_table_holds():
    used: set[tuple[str, str]] = set()
    for folder in SOURCE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for match in PAIR.finditer(text):
                model, action = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
                if model:
                    used.add((model, action))
            for model, action in RESTRICT.findall(text):
                used.add((model.lower(), action))
    from imports.registry import RULES

    used.update(RULES.values())
    assert len(used) > 25  # the scan sees the callers
    missing = {(model, action) for model, action in used if action not in policy.POLICY.get(model, {})}
    assert not missing


def test_every_action_of_every_api_viewset_has_its_rule():
    from rest_framework.test import APIRequestFactory

    from cnscd.api import ScopedViewSetMixin
    from cnscd.urls import router

    checked = 0
    for _prefix, viewset, _basename in router.registry:
        if not issubclass(viewset, ScopedViewSetMixin):
            continue
        for method, action in _actions(viewset):
            view = viewset()
            view.action = action
            view.request = getattr(APIRequestFactory(), method)("/")
            assert view.policy_action() in policy.POLICY[view._policy_model()], (viewset.__name__, action)
            checked += 1
    assert checked >= 40


def _actions(viewset):
    standard = {"list": "get", "retrieve": "get", "create": "post", "update": "put", "partial_update": "patch"}
    standard["destroy"] = "delete"
    for action, method in standard.items():
        if hasattr(viewset, action):
            yield method, action
    for extra in viewset.get_extra_actions():
        for method in extra.mapping:
            yield method, extra.__name__


# --- every page ------------------------------------------------------------------------------------------------

PUBLIC_PAGES = {"login", "logout", "service-worker", "manifest", "set_language"}


def _page_patterns():
    """(name, route, parameter names) of every page: the URL patterns outside /api/ and /admin/."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith(("api/", "admin/")):
                    continue
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield entry.name, route, list(entry.pattern.converters)

    return list(walk(get_resolver().url_patterns))


def test_an_anonymous_visitor_gets_the_login_page_from_every_page(client, db):
    pages = _page_patterns()
    assert len(pages) >= 20
    for name, route, _params in pages:
        if name in PUBLIC_PAGES:
            continue
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "export" if m.group(1) in ("kind", "action") else "1", route)
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], (name, url, response.status_code)


@pytest.fixture
def outside_objects(commune_officer_b, commune_b, hamlet_b1):
    """One object of each kind a page takes an id of, all in commune B."""
    from households.models import Household
    from imports.models import ImportJob
    from members.models import Member
    from reports.models import Report
    from teams.models import Team

    team = Team.objects.create(area=hamlet_b1, name="Tổ B1", established_on="2025-01-01")
    member = Member.objects.create(
        team=team,
        full_name="Người Ngoài Phạm Vi",
        phone="0987000111",
        role="leader",
        gender="male",
        organization="other",
    )
    Household.objects.create(area=hamlet_b1, code="B1-001", head_name="Chủ Hộ Ngoài", size=2)
    report = Report.objects.create(area=commune_b, period="2026-09", created_by=commune_officer_b)
    job = ImportJob.objects.create(kind="members", original_name="b.xlsx", created_by=commune_officer_b)
    return {
        "team": team.pk,
        "member": member.pk,
        "report": report.pk,
        "import": job.pk,
        "commune": commune_b.pk,
        "hamlet": hamlet_b1.pk,
    }


def _outside_url(name: str, route: str, ids: dict) -> str:
    kind = "team"
    if name.startswith("member-edit") or name.startswith("member-retire"):
        kind = "member"
    elif name.startswith("report"):
        kind = "report"
    elif name.startswith("import"):
        kind = "import"
    elif name == "commune-hamlets":
        kind = "commune"
    elif name.startswith("household-checklist"):
        kind = "hamlet"

    def value(match):
        param = match.group(1)
        if param == "kind":
            return "members"
        if param == "action":
            return "approve"
        return str(ids[kind])

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


@pytest.mark.parametrize(
    "persona", ["province_admin", "commune_officer_a", "team_leader_a1", "team_member_a1", "viewer", "norole"]
)
def test_no_page_shows_or_changes_an_object_outside_the_persona_scope(
    request, client, persona, outside_objects, commune_a, hamlet_a1, legacy_province
):
    if persona == "norole":
        user = User.objects.create_user(username="p.norole", password=PASSWORD)
    else:
        user = request.getfixturevalue(persona)
        if persona in ("province_admin", "viewer"):
            # Their province holds commune B: give them a scope beside it instead (the legacy province).
            RoleAssignment.objects.filter(user=user).update(area=legacy_province)
    client.force_login(user)
    secrets = ("Người Ngoài Phạm Vi", "0987000111", "Chủ Hộ Ngoài", "Tổ B1")
    tried = 0
    for name, route, params in _page_patterns():
        if not params or name in PUBLIC_PAGES or "kind" in params and len(params) == 1:
            continue
        url = _outside_url(name, route, outside_objects)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            tried += 1
            body = response.content.decode(errors="replace")
            assert response.status_code in (403, 404, 405), (persona, method, url, response.status_code)
            assert not any(secret in body for secret in secrets), (persona, method, url)
    assert tried >= 24
    from households.models import Household
    from reports.models import Report, ReportStatus
    from teams.models import Team

    assert Team.objects.get(pk=outside_objects["team"]).status == "active"
    assert Report.objects.get(pk=outside_objects["report"]).status == ReportStatus.PENDING
    assert Household.objects.filter(code="B1-001").exists()


def test_the_menu_offers_each_persona_only_what_the_policy_lets_them_do(
    client, viewer, team_member_a1, commune_officer_a, province_admin, superuser
):
    links = {
        "/visits/log/": {team_member_a1, commune_officer_a, province_admin, superuser},
        "/imports/": {commune_officer_a, province_admin, superuser},
        "/reorganization/roles/": {province_admin, superuser},
        "/admin/": {superuser},
    }
    for user in (viewer, team_member_a1, commune_officer_a, province_admin, superuser):
        client.force_login(user)
        html = client.get("/teams/").content.decode()
        for href, allowed in links.items():
            assert (f'href="{href}"' in html) is (user in allowed), (user.username, href)
