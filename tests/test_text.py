"""One spelling per text and bounded sizes: NFC/NFD/zero-width forms of a name are one name at every boundary
(API, pages, imports, searches), the database refuses any other spelling, notes are bounded, stored text is
normalised by the data migrations."""

import importlib
import inspect
import unicodedata
import uuid
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework import serializers

from areas.models import Area, Level
from areas.services import hamlet_create
from cnscd.serializers import CleanTextMixin
from cnscd.text import NOTE_MAX_LENGTH, clean_text
from households.models import Household, Visit
from households.resources import HouseholdImport
from members.models import Member
from members.resources import MemberImport
from teams.models import Team
from tests.conftest import ensure_units

NFC = "Ấp Đông Hòa"
NFD = unicodedata.normalize("NFD", NFC)
ZW = "Ấp\u200b Đông\u00a0 Hòa\ufeff"  # a zero-width space, a no-break space and a BOM pasted in


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


def csv_upload(headers: list[str], rows: list[list], name="tep.csv") -> SimpleUploadedFile:
    lines = [",".join(headers)] + [",".join(str(v) for v in row) for row in rows]
    return SimpleUploadedFile(name, "\n".join(lines).encode("utf-8"), content_type="text/csv")


def post_import(client, kind: str, upload, dry_run=False):
    return client.post("/api/v1/imports/", {"kind": kind, "file": upload, "dry_run": dry_run}, format="multipart")


@pytest.fixture
def hamlet(commune_a) -> Area:
    return hamlet_create(parent=commune_a, name=NFC, kind="Ấp")


@pytest.fixture
def team(hamlet) -> Team:
    return Team.objects.create(area=hamlet, name="Tổ CNSCĐ Ấp Đông Hòa", established_on=date(2024, 1, 15))


# --- the one spelling ---------------------------------------------------------------------------------------------
def test_clean_text_gives_one_spelling_for_every_form_a_phone_sends():
    assert NFD != NFC and clean_text(NFD) == NFC
    assert clean_text(ZW) == NFC
    assert clean_text("  Ấp\t\n 1\x00\x07 ") == "Ấp 1"
    assert clean_text("Dòng 1  \r\nDòng\t2\u2028\n\nDòng 3 ", multiline=True) == "Dòng 1\nDòng\t2\n\n\nDòng 3"


# --- hamlet names: API, page, import ------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", [NFD, ZW, "ấp  đông hòa"], ids=["nfd", "zero-width", "other-case-double-space"])
def test_a_second_hamlet_spelled_another_way_is_refused_by_the_api(api, commune_officer_a, commune_a, hamlet, typed):
    response = api(commune_officer_a).post("/api/v1/areas/", {"name": typed, "kind": "Ấp", "parent": commune_a.pk})
    assert response.status_code == 400, response.json()
    assert "tên" in response.json()["name"][0].lower()
    assert Area.objects.filter(parent=commune_a, level=Level.HAMLET, name__iexact=NFC).count() == 1


def test_a_hamlet_typed_decomposed_is_stored_composed(api, commune_officer_a, commune_a):
    response = api(commune_officer_a).post("/api/v1/areas/", {"name": NFD, "kind": "Ấp", "parent": commune_a.pk})
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == NFC
    assert Area.objects.get(pk=response.json()["id"]).name == NFC


def test_the_hamlet_page_refuses_a_second_spelling_of_a_name(client, commune_officer_a, commune_a, hamlet):
    client.force_login(commune_officer_a)
    response = client.post(f"/communes/{commune_a.pk}/hamlets/", {"name": ZW, "kind": "Ấp"})
    assert response.status_code == 200
    assert "đã có" in response.content.decode()  # "Xã này đã có thôn/ấp tên này."
    assert Area.objects.filter(parent=commune_a, level=Level.HAMLET).count() == 1


def test_a_hamlet_import_naming_an_existing_hamlet_in_nfd_updates_it_instead_of_adding_one(
    api, commune_officer_a, commune_a, hamlet
):
    upload = csv_upload(["Mã xã", "Tên thôn/ấp", "Loại", "Mã thôn/ấp"], [[commune_a.code, NFD, "Thôn", "T1"]])
    body = post_import(api(commune_officer_a), "hamlets", upload).json()
    assert body["status"] == "imported", body
    assert (body["created"], body["updated"]) == (0, 1)
    hamlet.refresh_from_db()
    assert (hamlet.name, hamlet.kind, hamlet.code) == (NFC, "Thôn", "T1")


def test_a_hamlet_import_with_the_same_hamlet_in_two_spellings_reports_the_second_row(
    api, commune_officer_a, commune_a
):
    upload = csv_upload(
        ["Mã xã", "Tên thôn/ấp", "Loại", "Mã thôn/ấp"],
        [[commune_a.code, NFC, "Ấp", ""], [commune_a.code, ZW, "Ấp", ""]],
    )
    body = post_import(api(commune_officer_a), "hamlets", upload).json()
    assert body["status"] == "rejected", body
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "Tên thôn/ấp")]
    assert not Area.objects.filter(parent=commune_a, level=Level.HAMLET).exists()


# --- household codes ----------------------------------------------------------------------------------------------
def test_a_household_code_spelled_another_way_is_the_same_household_for_the_api(api, commune_officer_a, hamlet):
    Household.objects.create(area=hamlet, code="HỘ-001", head_name="Trần Văn Bình")
    for typed in (nfd("HỘ-001"), "HỘ-\u200b001", " HỘ-001\u2060"):
        response = api(commune_officer_a).post(
            "/api/v1/households/", {"area": hamlet.pk, "code": typed, "head_name": "Lê Thị Cúc"}
        )
        assert response.status_code == 400, (typed, response.json())
        assert "code" in response.json()
    assert Household.objects.filter(area=hamlet).count() == 1


def test_a_household_import_finds_the_nfc_hamlet_named_in_nfd_and_the_household_by_its_nfd_code(
    api, commune_officer_a, commune_a, hamlet
):
    Household.objects.create(area=hamlet, code="HỘ-001", head_name="Trần Văn Bình")
    headers = [c.header for c in HouseholdImport.columns]
    rows = [
        [commune_a.code, NFD, nfd("HỘ-001"), nfd("Trần Văn Bình Mới"), "", 3, "", "Không", "", "Không"],
        [commune_a.code, ZW, "HỘ-\u200b002", "Lê\u200b Thị Cúc", "", 2, "", "Không", "", "Không"],
    ]
    body = post_import(api(commune_officer_a), "households", csv_upload(headers, rows)).json()
    assert body["status"] == "imported", body
    assert (body["created"], body["updated"]) == (1, 1)
    stored = dict(Household.objects.filter(area=hamlet).values_list("code", "head_name"))
    assert stored == {"HỘ-001": "Trần Văn Bình Mới", "HỘ-002": "Lê Thị Cúc"}


# --- members: the phone and the citizen-ID of a person -------------------------------------------------------------
def test_a_phone_with_zero_width_characters_is_the_same_person_for_the_api(api, commune_officer_a, team):
    client = api(commune_officer_a)
    person = {"team": team.pk, "full_name": NFD, "gender": "male", "organization": "youth_union"}
    first = client.post("/api/v1/members/", person | {"phone": "0912345678", "citizen_id": "080123456789"})
    assert first.status_code == 201, first.json()
    assert Member.objects.get().full_name == NFC
    again = client.post("/api/v1/members/", person | {"phone": "0912\u200b345\ufeff678"})
    assert again.status_code == 400 and "phone" in again.json(), again.json()
    by_id = client.post("/api/v1/members/", person | {"phone": "0987654321", "citizen_id": "\u200b080123456789\u200d"})
    assert by_id.status_code == 400, by_id.json()
    assert Member.objects.count() == 1


def test_a_roster_import_finds_the_member_by_a_phone_with_zero_width_characters(
    api, commune_officer_a, commune_a, team
):
    Member.objects.create(team=team, full_name=NFC, gender="male", organization="youth_union", phone="0912345678")
    row = {c.key: "" for c in MemberImport.columns} | {
        "commune_code": commune_a.code,
        "hamlet": NFD,
        "full_name": "Nguyễn Văn An",
        "gender": "Nam",
        "phone": "0912\u200b345678",
        "organization": "Đoàn Thanh niên",
        "role": "Thành viên",
    }
    headers = [c.header for c in MemberImport.columns]
    upload = csv_upload(headers, [[row[c.key] for c in MemberImport.columns]])
    body = post_import(api(commune_officer_a), "members", upload).json()
    assert body["status"] == "imported", body
    assert (body["created"], body["updated"]) == (0, 1)  # the same person, found by the phone's one spelling
    assert list(Member.objects.values_list("full_name", "phone")) == [("Nguyễn Văn An", "0912345678")]


# --- searches -----------------------------------------------------------------------------------------------------
def test_searches_find_names_whatever_form_they_are_typed_in(api, commune_officer_a, hamlet, team):
    Household.objects.create(area=hamlet, code="HỘ-001", head_name="Trần Văn Bình")
    Member.objects.create(team=team, full_name="Nguyễn Thị Ánh", gender="female", organization="youth_union")
    client = api(commune_officer_a)
    for typed in (NFD, ZW):
        assert [a["id"] for a in client.get("/api/v1/areas/", {"q": typed}).json()["results"]] == [hamlet.pk]
    found = client.get("/api/v1/households/", {"q": nfd("Văn Bình")}).json()["results"]
    assert [h["code"] for h in found] == ["HỘ-001"]
    assert client.get("/api/v1/households/", {"code": "HỘ-\u200b001"}).json()["count"] == 1
    assert client.get("/api/v1/members/", {"q": nfd("Thị Ánh")}).json()["count"] == 1
    assert client.get("/api/v1/teams/", {"q": nfd("Đông Hòa")}).json()["count"] == 1


def test_the_checklist_picker_finds_a_hamlet_typed_with_zero_width_characters(client, commune_officer_a, hamlet):
    client.force_login(commune_officer_a)
    page = client.get("/households/checklist/", {"q": "Đông\u200bHòa"}).content.decode()
    assert hamlet.name not in page  # "ĐôngHòa" is one word, not the hamlet's two
    page = client.get("/households/checklist/", {"q": "Đông\u200b Hòa"}).content.decode()
    assert hamlet.name in page


# --- the database holds to it ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("areas_area", "name", NFD),
        ("areas_area", "name", ZW),
        ("areas_area", "name", "Ấp  1"),
        ("households_household", "code", nfd("HỘ-001")),
        ("members_member", "full_name", "Nguyễn\u200bVăn An"),
        ("teams_team", "name", nfd("Tổ Đông Hòa")),
    ],
)
def test_a_direct_sql_write_of_another_spelling_violates_the_constraint(hamlet, team, table, column, value):
    household = Household.objects.create(area=hamlet, code="HỘ-002", head_name="Trần Văn Bình")
    member = Member.objects.create(team=team, full_name="Nguyễn Văn An", gender="male", organization="youth_union")
    row = {"areas_area": hamlet.pk, "households_household": household.pk, "members_member": member.pk}
    row["teams_team"] = team.pk
    with pytest.raises(IntegrityError, match="_clean"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, row[table]])  # noqa: S608


def test_a_direct_sql_insert_of_an_nfd_hamlet_name_violates_the_constraint(commune_a, hamlet):
    with pytest.raises(IntegrityError, match="area_name_clean"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO areas_area (structure, level, kind, code, name, parent_id, path) "
            "VALUES (%s, 'hamlet', 'Ấp', '', %s, %s, '')",
            [commune_a.structure, NFD, commune_a.pk],
        )


def test_a_note_over_its_bound_is_refused_by_the_database(hamlet, team):
    with pytest.raises(IntegrityError, match="team_notes_length"), transaction.atomic():
        Team.objects.filter(pk=team.pk).update(notes="x" * (NOTE_MAX_LENGTH + 1))


# --- bounded sizes --------------------------------------------------------------------------------------------------
def test_an_oversized_team_note_is_a_400_naming_the_bound(api, commune_officer_a, team):
    response = api(commune_officer_a).patch(f"/api/v1/teams/{team.pk}/", {"notes": "Ghi chú " * 1000})
    assert response.status_code == 400
    assert "2000" in response.json()["notes"][0] and "ký tự" in response.json()["notes"][0]
    team.refresh_from_db()
    assert team.notes == ""


def test_a_note_of_2000_characters_typed_in_nfd_fits_its_bound(api, commune_officer_a, team):
    note = "ấ" * NOTE_MAX_LENGTH  # 6,000 characters decomposed
    response = api(commune_officer_a).patch(f"/api/v1/teams/{team.pk}/", {"notes": nfd(note)})
    assert response.status_code == 200, response.json()
    team.refresh_from_db()
    assert team.notes == note


def test_an_oversized_visit_note_is_a_400_naming_the_bound(api, team_member_a1, member_a1):
    ensure_units()
    visit = {
        "client_uuid": str(uuid.uuid4()),
        "area": member_a1.team.area_id,
        "date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "channel": "door_to_door",
        "activities": [{"type": "vneid_activation", "quantity": 1}],
        "note": "x" * (NOTE_MAX_LENGTH + 1),
    }
    response = api(team_member_a1).post("/api/v1/visits/", visit)
    assert response.status_code == 400
    assert "2000" in response.json()["note"][0]
    assert not Visit.objects.exists()
    ok = api(team_member_a1).post("/api/v1/visits/", visit | {"note": nfd("Hướng dẫn\u200b cài VNeID\r\nxong")})
    assert ok.status_code == 201, ok.json()
    assert Visit.objects.get().note == "Hướng dẫn cài VNeID\nxong"


def test_a_hamlet_import_cell_over_its_bound_is_a_row_error(api, commune_officer_a, commune_a):
    upload = csv_upload(["Mã xã", "Tên thôn/ấp", "Loại", "Mã thôn/ấp"], [[commune_a.code, "Ấp " + "x" * 300, "Ấp", ""]])
    body = post_import(api(commune_officer_a), "hamlets", upload).json()
    assert body["status"] == "rejected"
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "Tên thôn/ấp")]
    assert "200" in body["errors"][0]["message"]


def test_the_schema_documents_the_bounds_of_text(api, province_admin):
    schema = api(province_admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    assert components["Team"]["properties"]["notes"]["maxLength"] == NOTE_MAX_LENGTH
    assert components["Household"]["properties"]["address"]["maxLength"] == 255
    assert components["TrainingSession"]["properties"]["notes"]["maxLength"] == NOTE_MAX_LENGTH


# --- every serializer cleans its text -------------------------------------------------------------------------------
def _project_serializers():
    import cnscd.urls  # noqa: F401  (imports every app's API)

    seen, pending = set(), [serializers.BaseSerializer]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] in {"accounts", "areas", "households", "members", "teams", "reports"}:
                seen.add(sub)
            if sub.__module__.startswith("imports"):
                seen.add(sub)
    return sorted(seen, key=lambda s: f"{s.__module__}.{s.__name__}")


def test_every_text_field_of_every_serializer_cleans_its_text():
    found, raw = 0, []
    for serializer_class in _project_serializers():
        if inspect.isabstract(serializer_class) or serializer_class.__name__.startswith("List"):
            continue
        for name, field in serializer_class().fields.items():
            if isinstance(field, serializers.ListField):
                field = field.child
            if not isinstance(field, serializers.CharField) or field.style.get("input_type") == "password":
                continue
            found += 1
            if not isinstance(field, CleanTextMixin):
                raw.append(f"{serializer_class.__module__}.{serializer_class.__name__}.{name}")
    assert found > 30 and raw == []


# --- the data migration ---------------------------------------------------------------------------------------------
def test_the_data_migration_normalises_a_stored_nfd_hamlet_and_suffixes_a_clash(commune_a, hamlet):
    migration = importlib.import_module("areas.migrations.0005_text_one_spelling")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the fixtures' foreign-key checks, before ALTER TABLE
        cursor.execute("ALTER TABLE areas_area DROP CONSTRAINT area_name_clean")  # undone with the test's transaction
        for name in (NFD, nfd("Ấp Tân  Lập ")):
            cursor.execute(
                "INSERT INTO areas_area (structure, level, kind, code, name, parent_id, path) "
                "VALUES (%s, 'hamlet', 'Ấp', '', %s, %s, '') RETURNING id",
                [commune_a.structure, name, commune_a.pk],
            )
    clash, alone = Area.objects.filter(parent=commune_a).exclude(pk=hamlet.pk).order_by("pk")
    migration.normalise(apps, None)
    clash.refresh_from_db()
    alone.refresh_from_db()
    hamlet.refresh_from_db()
    assert (hamlet.name, clash.name, alone.name) == (NFC, f"{NFC} (2)", "Ấp Tân Lập")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM areas_area WHERE NOT (name IS NFC NORMALIZED)")
        assert cursor.fetchone()[0] == 0


def test_the_data_migration_keeps_household_codes_unique_with_a_suffix(hamlet):
    migration = importlib.import_module("households.migrations.0009_text_one_spelling")
    kept = Household.objects.create(area=hamlet, code="HỘ-001", head_name="Trần Văn Bình")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE households_household DROP CONSTRAINT household_code_clean")
        cursor.execute("ALTER TABLE households_household DROP CONSTRAINT household_head_name_clean")
        cursor.execute(
            "INSERT INTO households_household (area_id, code, head_name, address, size, phone, consent_given, "
            "categories, has_smartphone, has_dvctt_account, has_cashless, has_vneid, created_at, updated_at) "
            "VALUES (%s, %s, %s, '', 1, '', false, '{}', false, false, false, false, now(), now())",
            [hamlet.pk, nfd("HỘ-001"), nfd("Lê  Thị Cúc")],
        )
    migration.normalise(apps, None)
    assert dict(Household.objects.filter(area=hamlet).values_list("code", "head_name")) == {
        "HỘ-001": kept.head_name,
        "HỘ-001-2": "Lê Thị Cúc",
    }


# --- the admin ------------------------------------------------------------------------------------------------------
def test_the_admin_stores_a_team_name_typed_in_nfd_composed_and_bounds_its_notes(client, superuser, hamlet):
    client.force_login(superuser)
    form = {
        "area": hamlet.pk,
        "name": nfd("Tổ CNSCĐ\u200b Đông Hòa"),
        "established_on": "2024-01-15",
        "status": "active",
        "notes": "x" * (NOTE_MAX_LENGTH + 1),
    }
    refused = client.post("/admin/teams/team/add/", form)
    assert refused.status_code == 200 and not Team.objects.exists()
    assert "2000" in refused.content.decode()
    saved = client.post("/admin/teams/team/add/", form | {"notes": "Dòng 1 \r\nDòng 2"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert Team.objects.values_list("name", "notes").get() == ("Tổ CNSCĐ Đông Hòa", "Dòng 1\nDòng 2")
