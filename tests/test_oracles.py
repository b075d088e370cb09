"""Error messages that are not oracles (issue 11, item 4): a person active in a team outside the requester's scope
is refused without a name, a team or a place, on the API, the pages and roster imports alike; a file of candidate
citizen-IDs learns nothing per row; refusals caused by out-of-scope data are counted and limited per user."""

import io
import logging

import pytest
from openpyxl import Workbook

from members.models import Member
from members.resources import MemberImport
from members.validators import citizen_id_hash
from teams.models import Team

MEMBERS = "/api/v1/members/"
IMPORTS = "/api/v1/imports/"
SECRET_NAME = "Trần Thị Bí Mật"
SECRET_PHONE = "0987001122"
SECRET_CID = "080195004321"  # province 80, born 1995, last four 4321
NEUTRAL = {"non_field_errors": ["Người này đang hoạt động ở một tổ khác; liên hệ cấp tỉnh để chuyển tổ."]}


pytestmark = pytest.mark.usefixtures("fresh_counters")


@pytest.fixture
def secret_team_b1(hamlet_b1):
    """Team B1 under a name that must never reach commune officer A (the conftest's ``team_b1`` is plain)."""
    return Team.objects.create(area=hamlet_b1, name="Tổ Bí Mật Ấp B1", established_on="2024-03-01")


@pytest.fixture
def secret_member(secret_team_b1):
    """Somebody active in commune B, outside commune officer A's scope."""
    return Member.objects.create(
        team=secret_team_b1,
        full_name=SECRET_NAME,
        gender="female",
        organization="police",
        phone=SECRET_PHONE,
        citizen_id_hash=citizen_id_hash(SECRET_CID),
        citizen_id_last4=SECRET_CID[-4:],
    )


def _member(team, **extra) -> dict:
    return {"team": team.pk, "full_name": "Nguyễn Văn Mới", "gender": "male", "organization": "youth_union"} | extra


def _leaks(text: str, secret: Member, typed: tuple[str, ...] = ()) -> list[str]:
    """What ``text`` tells of ``secret`` beyond what the requester ``typed`` (a form shows its own input again)."""
    needles = [SECRET_NAME, secret.team.name, secret.team.area.name, secret.team.area.parent.name, SECRET_PHONE,
               SECRET_CID, SECRET_CID[:8]]  # fmt: skip
    return [n for n in needles if n in text and n not in typed]


def _xlsx(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.header for c in MemberImport.columns])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "ung-vien.xlsx"
    return out


def _candidates(commune, hamlet, right_at: int | None, n: int = 100) -> list[list]:
    """The attack: citizen-IDs of province 80, born 1995, last four 4321 known, the two unknown digits tried;
    the true one (``SECRET_CID``) sits at row index ``right_at`` (``None``: not in the file)."""
    cids = [f"080195{i:02d}4321" for i in range(1, 100)][: n - 1 if right_at is not None else n]
    if right_at is not None:
        cids.insert(right_at, SECRET_CID)
    return [
        [commune.code, hamlet.name, "", f"Ứng viên {i:03d}", "Nữ", 1995, "", cid, "Công an", "Thành viên"]
        for i, cid in enumerate(cids)
    ]


def _import(client, rows, dry_run: bool):
    return client.post(IMPORTS, {"kind": "members", "file": _xlsx(rows), "dry_run": dry_run}, format="multipart")


def test_an_officer_adding_someone_active_in_another_commune_learns_no_name_team_or_place(
    api, commune_officer_a, team_a1, secret_member
):
    client = api(commune_officer_a)
    by_phone = client.post(MEMBERS, _member(team_a1, phone=SECRET_PHONE))
    by_cid = client.post(MEMBERS, _member(team_a1, phone="0911000001", citizen_id=SECRET_CID))
    by_both = client.post(MEMBERS, _member(team_a1, phone=SECRET_PHONE, citizen_id=SECRET_CID))
    for response in (by_phone, by_cid, by_both):
        assert response.status_code == 400
        assert response.json() == NEUTRAL  # one text, whether the phone or the citizen-ID matched
        assert _leaks(response.content.decode(), secret_member) == []
    assert Member.objects.filter(team=team_a1).count() == 0


def test_changing_a_members_phone_to_one_held_outside_the_scope_gets_the_same_answer(
    api, commune_officer_a, team_a1, secret_member
):
    client = api(commune_officer_a)
    mine = client.post(MEMBERS, _member(team_a1, phone="0911000002")).json()
    response = client.patch(f"{MEMBERS}{mine['id']}/", {"phone": SECRET_PHONE})
    assert response.status_code == 400 and response.json() == NEUTRAL
    assert Member.objects.get(pk=mine["id"]).phone == "0911000002"


def test_inside_the_scope_the_message_still_names_the_team(api, province_admin, team_a1, secret_member):
    response = api(province_admin).post(MEMBERS, _member(team_a1, phone=SECRET_PHONE))
    assert response.status_code == 400
    assert "Tổ Bí Mật Ấp B1" in response.json()["phone"][0] and "non_field_errors" not in response.json()


def test_the_member_page_gives_the_same_neutral_message(client, commune_officer_a, team_a1, secret_member):
    client.force_login(commune_officer_a)
    page = client.post(
        f"/teams/{team_a1.pk}/members/new/",
        {
            "full_name": "Nguyễn Văn Mới",
            "gender": "male",
            "organization": "youth_union",
            "role": "member",
            "phone": SECRET_PHONE,
        },  # fmt: skip
    )
    html = page.content.decode()
    assert page.status_code == 200 and "Người này đang hoạt động ở một tổ khác" in html
    assert _leaks(html, secret_member, typed=(SECRET_PHONE,)) == []


def test_a_dry_run_of_100_candidate_citizen_ids_learns_nothing_about_which_one_is_right(
    api, commune_officer_a, commune_a, hamlet_a1, team_a1, secret_member
):
    client = api(commune_officer_a)
    answers = []
    for right_at in (4, 63):
        rows = _candidates(commune_a, hamlet_a1, right_at)
        assert sum(r[7] == SECRET_CID for r in rows) == 1
        body = _import(client, rows, dry_run=True).json()
        assert body["status"] == "rejected"
        assert _leaks(str(body["errors"]), secret_member) == []
        answers.append(body["errors"])
    # Wherever the true candidate sits, the answer is the same: one error for the whole file, no row.
    assert answers[0] == answers[1]
    assert [e["row"] for e in answers[0]] == [None]
    assert answers[0][0]["message"].startswith("Một số người trong tệp đang hoạt động ở tổ khác")
    # A real import is refused the same way and saves nothing.
    real = _import(client, _candidates(commune_a, hamlet_a1, 17), dry_run=False).json()
    assert real["status"] == "rejected" and real["errors"] == answers[0]
    assert Member.objects.filter(team=team_a1).count() == 0


def test_in_scope_duplicates_in_a_file_are_still_named_on_their_row(
    api, province_admin, commune_a, hamlet_a1, team_a1, secret_member
):
    rows = _candidates(commune_a, hamlet_a1, 4, n=6)
    body = _import(api(province_admin), rows, dry_run=True).json()
    assert [(e["row"], SECRET_NAME in e["message"]) for e in body["errors"]] == [(6, True)]


def test_refusals_caused_by_out_of_scope_people_are_limited_per_user_and_logged(
    api, settings, caplog, commune_officer_a, commune_officer_b, commune_a, hamlet_a1, team_a1, secret_team_b1,
    secret_member,
):  # fmt: skip
    settings.MEMBER_OUT_OF_SCOPE_REFUSALS_PER_DAY = 3
    client = api(commune_officer_a)
    with caplog.at_level(logging.WARNING, logger="cnscd.security"):
        assert client.post(MEMBERS, _member(team_a1, phone=SECRET_PHONE)).status_code == 400
        assert client.post(MEMBERS, _member(team_a1, citizen_id=SECRET_CID)).status_code == 400
        assert _import(client, _candidates(commune_a, hamlet_a1, 9), dry_run=True).json()["status"] == "rejected"
        # The limit is reached: the next write comparing a number is refused before any lookup, whatever it holds.
        over = client.post(MEMBERS, _member(team_a1, phone="0911000003"))
        assert over.status_code == 429 and "quá nhiều" in over.json()["detail"]
        upload = _import(client, _candidates(commune_a, hamlet_a1, None, n=3), dry_run=True)
        assert upload.status_code == 429 and "quá nhiều" in upload.json()["detail"]
    assert Member.objects.filter(team=team_a1).count() == 0
    logged = [r.getMessage() for r in caplog.records if r.name == "cnscd.security"]
    assert sum("out-of-scope duplicate refused" in m and "xa.a" in m for m in logged) == 3
    assert any("over the daily limit" in m for m in logged)
    assert not any(SECRET_PHONE in m or SECRET_CID in m or SECRET_CID[-4:] in m for m in logged)
    # Only that login is limited; an edit that compares no new number still works for it.
    assert api(commune_officer_b).post(MEMBERS, _member(secret_team_b1, phone="0911000004")).status_code == 201
    mine = Member.objects.create(team=team_a1, full_name="Cũ", gender="male", organization="police", phone="0911000005")
    assert client.patch(f"{MEMBERS}{mine.pk}/", {"trained_on": "2025-02-02"}).status_code == 200


def test_refusals_inside_the_scope_are_not_counted(api, settings, province_admin, team_a1, secret_member):
    settings.MEMBER_OUT_OF_SCOPE_REFUSALS_PER_DAY = 1
    client = api(province_admin)
    for _attempt in range(3):
        assert client.post(MEMBERS, _member(team_a1, phone=SECRET_PHONE)).status_code == 400
    assert client.post(MEMBERS, _member(team_a1, phone="0911000006")).status_code == 201


def test_a_team_leader_gets_the_limit_message_in_vietnamese(api, settings, team_leader_a1, team_a1, secret_member):
    settings.MEMBER_OUT_OF_SCOPE_REFUSALS_PER_DAY = 1
    client = api(team_leader_a1)
    assert client.post(MEMBERS, _member(team_a1, phone=SECRET_PHONE)).json() == NEUTRAL
    over = client.post(MEMBERS, _member(team_a1, phone=SECRET_PHONE))
    assert over.status_code == 429
    assert over.json()["detail"].startswith("Hôm nay đã có quá nhiều lượt thêm thành viên bị từ chối")


def test_with_the_cache_down_rosters_keep_working_and_refusals_are_still_neutral(
    api, monkeypatch, commune_officer_a, team_a1, secret_member
):
    from redis.exceptions import ConnectionError as RedisDown

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise RedisDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

            return fail

    monkeypatch.setattr("members.duplicates.cache", Down())
    client = api(commune_officer_a)
    refused = client.post(MEMBERS, _member(team_a1, phone=SECRET_PHONE))
    added = client.post(MEMBERS, _member(team_a1, phone="0911000002"))
    assert refused.status_code == 400 and refused.json() == NEUTRAL
    assert added.status_code == 201
