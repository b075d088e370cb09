"""One phone rule (``cnscd.phones``): mobiles for members, mobiles or landlines for households, always stored as
``0…``, the same in the API, imports and exports, so an exported file imports again; the data migration."""

import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.db import connection
from openpyxl import Workbook, load_workbook

from cnscd import phones
from households.models import Household
from households.resources import HouseholdImport
from members.models import Member
from teams.models import Team

HOUSEHOLD_HEADERS = [c.header for c in HouseholdImport.columns]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0387.654.321", "0387654321"),
        ("(+84) 703-123-456", "0703123456"),
        ("912345678", "0912345678"),  # a number Excel kept as a number
        ("0276 3822 123", "02763822123"),  # Tây Ninh landline
        ("+84 24 3825 1234", "02438251234"),  # Hà Nội landline
        ("842763822123", "02763822123"),
        ("2763822123", "02763822123"),
    ],
)
def test_households_accept_vietnamese_mobiles_and_landlines_in_the_national_form(raw, expected):
    assert phones.household(raw) == expected


@pytest.mark.parametrize(
    "raw", ["01234567890", "0612345678", "0212345678", "091234567", "09123456789", "0276382212", "abc", "+1 555 0100"]
)
def test_numbers_that_are_not_vietnamese_are_refused_for_households(raw):
    with pytest.raises(phones.ValidationError):
        phones.household(raw)


@pytest.mark.parametrize("raw", ["02763822123", "0276 3822 123"])
def test_members_must_have_a_mobile_not_a_landline(api, commune_officer_a, team_a1, raw):
    response = api(commune_officer_a).post(
        "/api/v1/members/",
        {
            "team": team_a1.pk,
            "full_name": "Nguyễn Văn An",
            "gender": "male",
            "organization": "youth_union",
            "phone": raw,
        },
    )
    assert response.status_code == 400
    assert response.json()["phone"] == [
        "Nhập số di động Việt Nam: 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (ví dụ 0912345678)."
    ]
    assert not Member.objects.exists()


def household(hamlet, **extra):
    data = {"area": hamlet.pk, "code": "HGD-1", "head_name": "Trần Văn Bình", "size": 3, "consent_given": True}
    return data | extra


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("+84 912.345.678", "0912345678"), ("84912345678", "0912345678"), ("0276-3822-123", "02763822123")],
)
def test_the_api_stores_a_household_phone_as_imports_do(api, commune_officer_a, hamlet_a1, raw, stored):
    response = api(commune_officer_a).post("/api/v1/households/", household(hamlet_a1, phone=raw), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == stored
    assert Household.objects.get().phone == stored


def test_the_api_refuses_an_old_eleven_digit_mobile_with_the_rule_in_vietnamese(api, commune_officer_a, hamlet_a1):
    response = api(commune_officer_a).post(
        "/api/v1/households/", household(hamlet_a1, phone="01234567890"), format="json"
    )
    assert response.status_code == 400
    assert "cố định 11 chữ số bắt đầu bằng 02" in response.json()["phone"][0]
    assert not Household.objects.exists()


def xlsx(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HOUSEHOLD_HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "ho.xlsx"
    return out


def test_the_import_accepts_landlines_and_stores_every_phone_as_the_api_does(
    api, commune_officer_a, commune_a, hamlet_a1
):
    rows = [
        [commune_a.code, hamlet_a1.name, "H1", "Trần Văn Bình", "", 1, "+84 912 345 678", "Có", "", "Có"],
        [commune_a.code, hamlet_a1.name, "H2", "Lê Thị Hoa", "", 2, "0276.3822.123", "Có", "", "Không"],
        [commune_a.code, hamlet_a1.name, "H3", "Phạm Văn Cường", "", 2, 912345679, "Có", "", "Có"],
    ]
    body = api(commune_officer_a).post(
        "/api/v1/imports/", {"kind": "households", "file": xlsx(rows)}, format="multipart"
    )
    body = body.json()
    assert body["status"] == "imported", body
    assert dict(Household.objects.values_list("code", "phone")) == {
        "H1": "0912345678",
        "H2": "02763822123",
        "H3": "0912345679",
    }


def test_households_typed_through_the_api_export_and_import_again_unchanged(api, commune_officer_a, hamlet_a1):
    client = api(commune_officer_a)
    for i, raw in enumerate(["+84 912 345 678", "0276 3822 123", "84 388 123 456", ""]):
        data = household(hamlet_a1, code=f"HGD-{i}", phone=raw, consent_given=bool(raw))
        assert client.post("/api/v1/households/", data, format="json").status_code == 201
    exported = client.get("/api/v1/households/export-xlsx/")
    assert exported.status_code == 200
    values = list(load_workbook(io.BytesIO(exported.content)).worksheets[0].iter_rows(values_only=True))
    assert sorted(row[6] or "" for row in values[1:]) == ["", "02763822123", "0388123456", "0912345678"]

    upload = io.BytesIO(exported.content)
    upload.name = "xuat.xlsx"
    body = client.post("/api/v1/imports/", {"kind": "households", "file": upload}, format="multipart").json()
    assert body["status"] == "imported" and body["unchanged"] == 4 and body["errors"] == [], body


def _migration(app: str, name: str):
    return importlib.import_module(f"{app}.migrations.{name}")


def test_the_data_migration_normalises_household_phones_and_keeps_what_it_cannot_read(hamlet_a1, capsys):
    for code, phone in (("H1", "0912345678"), ("H2", "+84 912 345 679"), ("H3", "028.3825.1234"), ("H4", "12345")):
        Household.objects.create(area=hamlet_a1, code=code, head_name="Hộ", phone=phone, consent_given=True)
    _migration("households", "0007_normalise_phones").normalise(django_apps, connection.schema_editor)
    assert dict(Household.objects.values_list("code", "phone")) == {
        "H1": "0912345678",
        "H2": "0912345679",
        "H3": "02838251234",
        "H4": "12345",
    }
    assert "1 stored phone(s)" in capsys.readouterr().out


def test_the_data_migration_never_merges_two_active_members_onto_one_number(team_a1, hamlet_a2, capsys):
    other = Team.objects.create(area=hamlet_a2, name="Tổ CNSCĐ Ấp A2", established_on="2024-03-01")
    fields = {"gender": "male", "organization": "youth_union", "joined_on": "2024-03-01"}
    first = Member.objects.create(team=team_a1, full_name="An", phone="0912345678", **fields)
    second = Member.objects.create(team=other, full_name="Bình", phone="+84912345678", **fields)
    left = Member.objects.create(team=other, full_name="Cường", phone="+84 388 123 456", left_on="2025-01-01", **fields)
    typed = Member.objects.create(team=other, full_name="Dũng", phone="0703.123.456", **fields)
    _migration("members", "0006_normalise_phones").normalise(django_apps, connection.schema_editor)
    phones_now = dict(Member.objects.values_list("pk", "phone"))
    assert phones_now[first.pk] == "0912345678"
    assert phones_now[second.pk] == "+84912345678"  # reported, not merged
    assert phones_now[left.pk] == "0388123456"
    assert phones_now[typed.pk] == "0703123456"
    assert f"active members [{first.pk}, {second.pk}] share the number 0912345678" in capsys.readouterr().out
