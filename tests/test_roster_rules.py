"""The roster rules are written once (``members.rules``): a page or an API call and a roster file break each rule in
the same cases and are refused with the same words; the rules of a whole file take a few queries."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import Workbook

from cnscd.labels import vi_labels
from members import duplicates, labels, rules
from members.models import Gender, Member, MemberRole, Organization
from members.resources import MemberImport
from members.validators import citizen_id_hash
from teams.models import Team

MEMBERS = "/api/v1/members/"
IMPORTS = "/api/v1/imports/"
KEYS = [c.key for c in MemberImport.columns]
PHONE, HELD_PHONE, HELD_CID = "0911222333", "0911000009", "080195001234"
FUTURE = timezone.localdate() + timedelta(days=30)


pytestmark = pytest.mark.usefixtures("fresh_counters")


def _held(team, **fields) -> Member:
    """Someone already active on ``team``'s roster."""
    return Member.objects.create(team=team, full_name="Trần Văn Cũ", gender="male", organization="police", **fields)


def _body(team, **fields) -> dict:
    base = {"team": team.pk, "full_name": "Nguyễn Văn Mới", "gender": "male", "organization": "youth_union"}
    return base | {"phone": PHONE, "joined_on": "2024-03-01"} | fields


def _row(team, **cells) -> list:
    base = {"commune_code": team.area.parent.code, "hamlet": team.area.name, "full_name": "Nguyễn Văn Mới"}
    base |= {"gender": "Nam", "phone": PHONE, "organization": "Đoàn Thanh niên", "role": "Thành viên"}
    return [(base | {"joined_on": "01/03/2024"} | cells).get(key, "") for key in KEYS]


def _import(client, rows) -> dict:
    workbook = Workbook()
    workbook.active.append([c.header for c in MemberImport.columns])
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "danh-sach.xlsx"
    response = client.post(IMPORTS, {"kind": "members", "file": out, "dry_run": True}, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


CASES = {
    "an implausible birth year": ({"birth_year": 1850}, {"birth_year": 1850}, "birth_year"),
    "leaving before joining": ({"left_on": "2024-02-01"}, {"left_on": "01/02/2024"}, "left_on"),
    "leaving in the future": ({"left_on": FUTURE.isoformat()}, {"left_on": f"{FUTURE:%d/%m/%Y}"}, "left_on"),
    "a second active leader": ({"role": "leader"}, {"role": "Tổ trưởng"}, "role"),
    "a phone active in another team": ({"phone": HELD_PHONE}, {"phone": HELD_PHONE}, "phone"),
    "a citizen-ID active in another team": ({"citizen_id": HELD_CID}, {"citizen_id": HELD_CID}, "citizen_id"),
}


@pytest.mark.parametrize("case", CASES)
def test_the_api_and_a_roster_file_refuse_each_rule_with_the_same_message(
    api, commune_officer_a, team_a1, team_a2, case
):
    body, cells, field = CASES[case]
    _held(team_a1, role=MemberRole.LEADER, phone="0911000001")
    _held(team_a2, phone=HELD_PHONE, citizen_id_hash=citizen_id_hash(HELD_CID), citizen_id_last4=HELD_CID[-4:])
    client = api(commune_officer_a)

    refused = client.post(MEMBERS, _body(team_a1, **body))
    job = _import(client, [_row(team_a1, **cells)])

    assert refused.status_code == 400 and list(refused.json()) == [field]
    header = MemberImport(acting_user=None).header_of(field)
    assert job["status"] == "rejected"
    assert job["errors"] == [{"row": 2, "field": header, "message": refused.json()[field][0]}]


def test_both_refuse_a_person_active_out_of_scope_without_naming_them_and_count_one_refusal_each(
    api, commune_officer_a, commune_officer_b, team_a1, hamlet_b1
):
    _held(Team.objects.create(area=hamlet_b1, name="Tổ Ấp B1", established_on="2024-03-01"), phone=HELD_PHONE)
    client = api(commune_officer_a)

    refused = client.post(MEMBERS, _body(team_a1, phone=HELD_PHONE))
    job = _import(client, [_row(team_a1, phone=HELD_PHONE)])

    assert refused.json() == {"non_field_errors": [str(duplicates.OUT_OF_SCOPE_MESSAGE)]}
    assert [(e["row"], e["message"]) for e in job["errors"]] == [(None, str(duplicates.OUT_OF_SCOPE_FILE_MESSAGE))]
    assert duplicates._count_today(commune_officer_a) == 2


def test_a_dissolved_team_takes_no_one_and_a_file_founds_a_new_team_instead(api, commune_officer_a, team_a1):
    Team.objects.filter(pk=team_a1.pk).update(status="dissolved", dissolved_on="2025-01-01")
    client = api(commune_officer_a)

    refused = client.post(MEMBERS, _body(team_a1))
    job = _import(client, [_row(team_a1)])

    assert refused.status_code == 400 and list(refused.json()) == ["team"]
    assert job["status"] == "valid"


def test_the_rules_of_a_file_are_checked_row_against_row_too(team_a1):
    proposed = [
        Member(team=team_a1, full_name="A", gender="male", organization="police", role="leader", phone=PHONE),
        Member(team=team_a1, full_name="B", gender="male", organization="police", role="leader", phone=PHONE),
    ]
    errors = rules.roster_errors(proposed, acting_user=None, surface="test", rows=[7, 9])
    assert [(e.index, e.field) for e in errors] == [(1, "role"), (1, "phone")]
    assert all("7" in e.message for e in errors)


def test_the_rules_of_five_hundred_members_take_two_queries(django_assert_max_num_queries, team_a1, team_a2):
    proposed = [
        Member(
            team=team_a1 if i % 2 else team_a2,
            full_name=f"Thành viên {i}",
            gender="female",
            organization="police",
            role="leader" if i < 2 else "member",
            phone=f"0911{i:06d}",
        )
        for i in range(500)
    ]
    with django_assert_max_num_queries(2):
        assert rules.roster_errors(proposed, acting_user=None, surface="test") == []


def test_the_import_reads_the_catalogues_labels_and_the_spellings_it_accepted_before():
    assert vi_labels(MemberRole) == {"leader": "Tổ trưởng", "deputy": "Tổ phó", "member": "Thành viên"}
    assert vi_labels(Gender) == {"male": "Nam", "female": "Nữ", "other": "Khác"}
    assert vi_labels(Organization)["enterprise"] == "Doanh nghiệp (VNPT, Viettel, Bưu điện…)"
    organizations = labels.lookup(Organization)
    for cell in ("đoàn tn", "đoàn thanh niên", "youth_union"):
        assert organizations[cell] == "youth_union"
    assert {organizations[c] for c in ("vnpt", "viettel", "bưu điện", "doanh nghiệp", "enterprise")} == {"enterprise"}
    assert organizations["hội phụ nữ"] == organizations["phụ nữ"] == "women_union"
    roles = labels.lookup(MemberRole)
    assert [roles[c] for c in ("trưởng", "phó", "tổ viên", "tổ trưởng")] == ["leader", "deputy", "member", "leader"]
