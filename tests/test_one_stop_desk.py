"""The commune's one-stop desk (bộ phận một cửa): a team member logs help given there without a household, on the
commune of the team's hamlet (a commune-level team: its own commune); it counts for that commune and above in the
KPIs, never for a hamlet. Any other commune stays refused like an area that does not exist."""

import uuid
from datetime import date, timedelta

from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role, RoleAssignment, User
from households.models import Visit
from members.models import Member
from teams.models import Team

URL = "/api/v1/visits/"
BULK = "/api/v1/visits/bulk/"
KPIS = "/api/v1/kpis/"


def desk_visit(area, **extra) -> dict:
    data = {
        "client_uuid": str(uuid.uuid4()),
        "household": None,
        "area": area.pk,
        "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "channel": "one_stop_desk",
        "activities": [{"type": "vneid_activation", "quantity": 3}, {"type": "dvctt_account", "quantity": 1}],
        "note": "Hỗ trợ tại bộ phận một cửa",
    }
    return data | extra


def test_a_hamlet_team_member_logs_help_at_the_one_stop_desk_of_the_hamlets_commune(
    api, team_member_a1, member_a1, commune_a
):
    response = api(team_member_a1).post(URL, desk_visit(commune_a), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["area"] == commune_a.pk and body["household"] is None
    assert body["member"] == member_a1.pk and body["team"] == member_a1.team_id
    assert Visit.objects.get().area == commune_a


def test_desk_visits_sync_in_bulk_too(api, team_member_a1, member_a1, commune_a):
    response = api(team_member_a1).post(BULK, {"visits": [desk_visit(commune_a), desk_visit(commune_a)]}, format="json")
    assert response.status_code == 200, response.json()
    assert [r["status"] for r in response.json()["results"]] == ["created", "created"]
    assert list(Visit.objects.values_list("area", flat=True)) == [commune_a.pk, commune_a.pk]


def test_another_commune_is_refused_as_if_it_did_not_exist(api, team_member_a1, member_a1, commune_b):
    client = api(team_member_a1)
    refused = client.post(URL, desk_visit(commune_b), format="json")
    missing = client.post(URL, {**desk_visit(commune_b), "area": 10**12}, format="json")
    assert refused.status_code == missing.status_code == 400
    assert refused.json() == missing.json() == {"area": ["Không tìm thấy địa bàn này trong phạm vi của bạn."]}
    assert not Visit.objects.exists()


def test_a_desk_visit_with_a_household_keeps_the_households_hamlet(api, team_member_a1, member_a1, hamlet_a1):
    from households.models import Household

    household = Household.objects.create(area=hamlet_a1, code="H1", head_name="Hộ 1")
    response = api(team_member_a1).post(
        URL, {**desk_visit(hamlet_a1), "household": household.pk, "area": None}, format="json"
    )
    assert response.status_code == 201 and response.json()["area"] == hamlet_a1.pk


def test_a_commune_level_team_logs_at_its_own_communes_desk(api, commune_a):
    team = Team.objects.create(area=commune_a, name="Tổ CNSCĐ xã", established_on=date(2024, 1, 15))
    user = User.objects.create_user(username="to.vien.xa", password=None, full_name="Tổ viên xã")
    RoleAssignment.objects.create(user=user, role=Role.TEAM_MEMBER, area=commune_a)
    Member.objects.create(team=team, user=user, full_name="Lê Xã", gender="female", organization="women_union")
    response = api(user).post(URL, desk_visit(commune_a), format="json")
    assert response.status_code == 201, response.json()


def test_a_leader_logs_a_desk_visit_for_a_member_of_the_team(api, team_leader_a1, member_a1, commune_a):
    Member.objects.create(
        team=member_a1.team, user=team_leader_a1, full_name="Trần Thị Trưởng", gender="female",
        organization="hamlet_head", role="leader",
    )  # fmt: skip
    response = api(team_leader_a1).post(URL, desk_visit(commune_a, member=member_a1.pk), format="json")
    assert response.status_code == 201, response.json()
    assert Visit.objects.get().member == member_a1


def kpis(client, area, period, **params) -> dict:
    response = client.get(KPIS, {"area": area.pk, "period": period, "page_size": 500, **params})
    assert response.status_code == 200, response.json()
    return {(r["area"], r["indicator"]): r["value"] for r in response.json()["results"]}


def test_a_desk_visit_counts_for_the_commune_and_above_never_for_a_hamlet(
    api, team_member_a1, member_a1, province_admin, province, commune_a, hamlet_a1, hamlet_a2
):
    assert api(team_member_a1).post(URL, desk_visit(commune_a), format="json").status_code == 201
    call_command("rollup_kpis", "--full", stdout=open("/dev/null", "w"))
    client = api(province_admin)
    month = (timezone.localdate() - timedelta(days=1)).strftime("%Y-%m")
    for area in (commune_a, province):
        rows = kpis(client, area, month)
        assert rows[(area.pk, "visits")] == 1
        assert rows[(area.pk, "vneid_activation")] == 3 and rows[(area.pk, "dvctt_account")] == 1
        assert rows[(area.pk, "households_visited")] == 0
    hamlets = kpis(client, commune_a, month, breakdown="children")
    for hamlet in (hamlet_a1, hamlet_a2):
        assert hamlets.get((hamlet.pk, "visits")) in (None, 0)
        assert hamlets.get((hamlet.pk, "vneid_activation")) in (None, 0)
    assert kpis(client, hamlet_a1, month).get((hamlet_a1.pk, "visits")) in (None, 0)


def test_a_member_reads_back_their_own_desk_visit_but_not_a_peers_desk_visit(
    api, team_member_a1, member_a1, commune_a, hamlet_a1
):
    mine = api(team_member_a1).post(URL, desk_visit(commune_a), format="json").json()["id"]
    peer_user = User.objects.create_user(username="to.vien.a1.b", password="x")
    RoleAssignment.objects.create(user=peer_user, role=Role.TEAM_MEMBER, area=hamlet_a1)
    peer = Member.objects.create(
        team=member_a1.team, user=peer_user, full_name="Trần Thị Bạn", gender="female", organization="youth_union"
    )
    theirs = api(peer_user).post(URL, desk_visit(commune_a), format="json").json()["id"]
    assert Visit.objects.get(pk=theirs).member == peer
    client = api(team_member_a1)
    assert client.get(f"{URL}{mine}/").status_code == 200
    assert client.get(f"{URL}{theirs}/").status_code == 404
    assert [row["id"] for row in client.get(URL).json()["results"]] == [mine]
