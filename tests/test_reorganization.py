"""apply_reorganization: hamlets and what hangs on them follow their commune's successor, once; roles on a former
commune follow only when a province administrator confirms the move."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Role, RoleAssignment, User
from areas import services
from areas.models import Area, Level, RoleMove, RoleMoveStatus, Structure
from households.models import Household
from tests.conftest import _user

PAGE = "/reorganization/roles/"


def legacy_commune(legacy_province, name_contains: str) -> Area:
    return Area.objects.get(path__startswith=legacy_province.path, level=Level.COMMUNE, name__contains=name_contains)


def test_hamlets_and_records_move_to_the_successor_and_a_rerun_moves_nothing(legacy_province, province):
    old = Area.objects.filter(path__startswith=legacy_province.path, level=Level.COMMUNE).order_by("code").first()
    first = services.hamlet_create(parent=old, name="Ấp 1", kind="Ấp")
    second = services.hamlet_create(parent=old, name="Ấp 2", kind="Ấp")
    officer = User.objects.create_user(username="old.officer", password="x")
    RoleAssignment.objects.create(user=officer, role=Role.COMMUNE_OFFICER, area=old)

    out = StringIO()
    call_command("apply_reorganization", stdout=out)
    first.refresh_from_db()
    second.refresh_from_db()
    new = first.parent
    assert new.structure == Structure.CURRENT and new.level == Level.COMMUNE and new.is_current
    assert new.path.startswith(province.path)  # Long An's communes now belong to Tây Ninh (code 80)
    assert first.path == f"{new.path}{first.pk}/" and second.parent == new
    assert first.structure == Structure.CURRENT
    assert RoleAssignment.objects.get(user=officer).area == old  # the role waits for a decision (below)
    assert RoleMove.objects.get(user=officer).to_area == new
    assert f"{old.name} ({old.code}) → {new.name}" in out.getvalue()

    again = StringIO()
    call_command("apply_reorganization", stdout=again)
    assert "Nothing to move." in again.getvalue()


def test_a_hamlet_name_already_used_in_the_successor_is_kept_apart(legacy_province):
    old = Area.objects.filter(path__startswith=legacy_province.path, level=Level.COMMUNE).order_by("code").first()
    from areas.reorganization import successor_codes

    new = Area.objects.get(structure=Structure.CURRENT, level=Level.COMMUNE, code=successor_codes()[old.code])
    existing = services.hamlet_create(parent=new, name="Ấp 1", kind="Ấp")
    moved = services.hamlet_create(parent=old, name="Ấp 1", kind="Ấp")
    call_command("apply_reorganization", stdout=StringIO())
    moved.refresh_from_db()
    assert moved.parent == new and moved.name == f"Ấp 1 ({old.name})"
    assert Area.objects.filter(parent=new, level=Level.HAMLET).count() == 2
    existing.refresh_from_db()
    assert existing.name == "Ấp 1"


def test_every_legacy_commune_has_a_successor_in_the_package_mapping(db):
    from areas.reorganization import successor_codes

    mapping = successor_codes()
    assert len(mapping) == 10035
    call_command("import_admin_units", structure="current", stdout=StringIO())
    current = set(Area.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE).values_list("code", flat=True))
    assert set(mapping.values()) <= current
    # a few communes of today only received parts of split communes (not their default successor)
    assert len(set(mapping.values())) > 3300


def test_kpis_follow_moved_hamlets_while_targets_and_reports_stay_with_the_former_commune(legacy_province, province):
    import uuid
    from datetime import date

    from households.models import Household
    from households.visits import visit_record
    from members.models import Member
    from reports.models import Indicator, KpiValue, Target
    from teams.models import Team

    old = Area.objects.filter(path__startswith=legacy_province.path, level=Level.COMMUNE).order_by("code").first()
    hamlet = services.hamlet_create(parent=old, name="Ấp Cũ", kind="Ấp")
    team = Team.objects.create(area=hamlet, name="Tổ Ấp Cũ", established_on=date(2024, 1, 1))
    member = Member.objects.create(team=team, full_name="TV", gender="male", organization="police")
    household = Household.objects.create(area=hamlet, code="H1", head_name="Hộ 1")
    root = User.objects.create_superuser(username="root.reorg", password="x")
    visit_record(member=member, household=household, area=None, date=date(2025, 3, 5), channel="door_to_door",
                 activities={"vneid_activation": 4}, client_uuid=uuid.uuid4(), acting_user=root)  # fmt: skip
    Target.objects.create(indicator=Indicator.objects.get(code="visits"), area=old, year=2025, value=10)
    call_command("rollup_kpis", "--full", stdout=StringIO())
    assert KpiValue.objects.get(area=old, period="2025-03", indicator="vneid_activation").value == 4

    call_command("apply_reorganization", stdout=StringIO())
    call_command("rollup_kpis", stdout=StringIO())  # the tree changed: the incremental run recomputes everything
    hamlet.refresh_from_db()
    new = hamlet.parent
    assert KpiValue.objects.get(area=new, period="2025-03", indicator="vneid_activation").value == 4
    assert KpiValue.objects.get(area=province, period="2025", indicator="visits").value == 1
    assert not KpiValue.objects.filter(area=old, period="2025-03", indicator="vneid_activation").exists()
    assert Target.objects.get().area == old  # a target of the former commune describes that commune


def _merged_pair(legacy_province) -> tuple[Area, Area, Area]:
    """Two former communes of Long An merged into one commune of today: (first, second, merged)."""
    from areas.reorganization import successor_codes

    mapping = successor_codes()
    former = list(Area.objects.filter(path__startswith=legacy_province.path, level=Level.COMMUNE).order_by("code"))
    first = former[0]
    second = next(c for c in former[1:] if mapping[c.code] == mapping[first.code])
    merged = Area.objects.get(structure=Structure.CURRENT, level=Level.COMMUNE, code=mapping[first.code])
    return first, second, merged


@pytest.fixture
def merger(legacy_province):
    """Former communes A and B, each with a hamlet and a household, merged into one commune; an officer of A."""
    first, second, merged = _merged_pair(legacy_province)
    for commune, code in ((first, "A-1"), (second, "B-1")):
        hamlet = services.hamlet_create(parent=commune, name=f"Ấp {code}", kind="Ấp")
        Household.objects.create(area=hamlet, code=code, head_name=f"Hộ {code}", address=f"Số 1, ấp {code}")
    officer = _user("xa.cu.a", Role.COMMUNE_OFFICER, first)
    return {"first": first, "second": second, "merged": merged, "officer": officer}


def _households(api, user) -> set[str]:
    response = api(user).get("/api/v1/households/")
    assert response.status_code == 200
    return {row["code"] for row in response.json()["results"]}


def test_a_former_communes_officer_gains_the_merged_communes_households_only_when_a_province_admin_confirms(
    merger, province_admin, api, client
):
    officer = merger["officer"]
    assert _households(api, officer) == {"A-1"}  # before: their own former commune only

    call_command("apply_reorganization", stdout=StringIO())
    assert Household.objects.filter(area__parent=merger["merged"]).count() == 2  # households moved at once
    assert _households(api, officer) == set()  # deny by default: nothing, not the merged commune's data
    assert RoleAssignment.objects.get(user=officer).area == merger["first"]

    move = RoleMove.objects.get(user=officer)
    client.force_login(province_admin)
    response = client.post(PAGE, {"action": "confirm", "move": move.pk})
    assert response.status_code == 302
    assert RoleAssignment.objects.get(user=officer).area == merger["merged"]
    assert _households(api, officer) == {"A-1", "B-1"}
    move.refresh_from_db()
    assert move.status == RoleMoveStatus.CONFIRMED and move.decided_by == province_admin and move.decided_at


def test_the_plan_marks_a_widened_scope_and_names_the_former_commune_it_adds(merger, province_admin, client):
    call_command("apply_reorganization", stdout=StringIO())
    move = RoleMove.objects.get(user=merger["officer"])
    assert move.widens and move.status == RoleMoveStatus.PROPOSED
    assert any(name.startswith(merger["second"].name) for name in move.also_covers["communes"])

    client.force_login(province_admin)
    page = client.get(PAGE).content.decode()
    item = page[page.index(f'data-id="{move.pk}"') :].split("</li>")[0]
    assert 'data-widens="1"' in item and "Mở rộng phạm vi:" in item
    assert merger["first"].name in item and merger["merged"].name in item and merger["second"].name in item
    assert "Xác nhận chuyển" in item and "Từ chối (gỡ vai trò)" in item


def test_a_commune_officer_can_neither_see_nor_decide_the_plan(merger, commune_officer_a, client):
    call_command("apply_reorganization", stdout=StringIO())
    move = RoleMove.objects.get(user=merger["officer"])
    for user in (commune_officer_a, merger["officer"]):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, {"action": "confirm", "move": move.pk}).status_code == 403
        assert client.post(PAGE, {"action": "confirm_non_widening"}).status_code == 403
    move.refresh_from_db()
    assert move.status == RoleMoveStatus.PROPOSED
    assert RoleAssignment.objects.get(user=merger["officer"]).area == merger["first"]


def test_refusing_removes_the_assignment_and_a_second_decision_is_refused(merger, province_admin, api, client):
    call_command("apply_reorganization", stdout=StringIO())
    move = RoleMove.objects.get(user=merger["officer"])
    client.force_login(province_admin)
    client.post(PAGE, {"action": "refuse", "move": move.pk})
    assert not RoleAssignment.objects.filter(user=merger["officer"]).exists()
    assert api(merger["officer"]).get("/api/v1/households/").status_code == 403  # no role left: no data
    move.refresh_from_db()
    assert move.status == RoleMoveStatus.REFUSED and move.decided_by == province_admin

    response = client.post(PAGE, {"action": "confirm", "move": move.pk}, follow=True)
    assert "Việc chuyển này đã được quyết định." in response.content.decode()
    assert not RoleAssignment.objects.filter(user=merger["officer"]).exists()
    assert client.post(PAGE, {"action": "confirm", "move": "x"}).status_code == 302  # no 500 on a bad id


def test_confirming_every_non_widening_move_leaves_the_widening_ones_waiting(merger, province_admin, client):
    # Already a viewer of the merged commune: the viewer role on the former commune adds nothing there.
    watcher = _user("xem.ca.hai", Role.VIEWER, merger["merged"])
    RoleAssignment.objects.create(user=watcher, role=Role.VIEWER, area=merger["first"])
    call_command("apply_reorganization", stdout=StringIO())
    same = RoleMove.objects.get(user=watcher)
    assert not same.widens

    client.force_login(province_admin)
    client.post(PAGE, {"action": "confirm_non_widening"})
    same.refresh_from_db()
    assert same.status == RoleMoveStatus.CONFIRMED
    assert list(RoleAssignment.objects.filter(user=watcher).values_list("area", flat=True)) == [merger["merged"].pk]
    assert RoleMove.objects.get(user=merger["officer"]).status == RoleMoveStatus.PROPOSED


def test_a_province_admin_sees_no_move_into_a_unit_outside_the_province(merger, client):
    call_command("apply_reorganization", stdout=StringIO())
    move = RoleMove.objects.get(user=merger["officer"])
    # The test database holds one province of today; the admin of former Long An stands for another province.
    outsider = _user("tinh.khac", Role.PROVINCE_ADMIN, Area.objects.get(structure=Structure.LEGACY, code="80"))
    client.force_login(outsider)
    assert str(merger["officer"].username) not in client.get(PAGE).content.decode()
    assert client.post(PAGE, {"action": "confirm", "move": move.pk}).status_code == 404


def test_a_superuser_lists_and_decides_the_moves_on_the_command_line(merger, superuser, province_admin):
    call_command("apply_reorganization", stdout=StringIO())
    move = RoleMove.objects.get(user=merger["officer"])
    out = StringIO()
    call_command("apply_reorganization", "--list-roles", stdout=out)
    assert f"#{move.pk} xa.cu.a · commune_officer" in out.getvalue() and "WIDENS" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("apply_reorganization", "--confirm", str(move.pk), "--as", province_admin.username)
    assert RoleMove.objects.get(pk=move.pk).status == RoleMoveStatus.PROPOSED

    call_command("apply_reorganization", "--confirm", str(move.pk), "--as", superuser.username, stdout=StringIO())
    assert RoleAssignment.objects.get(user=merger["officer"]).area == merger["merged"]
    assert RoleMove.objects.get(pk=move.pk).decided_by == superuser
