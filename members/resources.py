"""Roster spreadsheets: the import handler (kind ``members``) and the export in the same layout.

The column layout and the cleaning of each cell are django-import-export widgets-free on purpose: a roster is
checked in bulk (a few queries for the whole file, not several per row), which is what keeps 5,500 rows well
under the 15 s target; the export uses an import-export ``ModelResource`` to read the rows.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources

from areas.models import Level
from cnscd.labels import listed, vi_labels
from imports.base import Column, ImportHandler, RowError
from members import duplicates, roster_rows, rules
from members.models import Gender, Member, MemberRole, Organization
from teams.models import Team, TeamStatus

# What a row sets on its member (the citizen-ID's hash only when the row has one: the file may leave it out).
FIELDS = ["full_name", "gender", "birth_year", "phone", "organization", "role", "joined_on", "left_on", "trained_on"]


def _format_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


class MemberResource(resources.ModelResource):
    """The roster as rows in the template's layout (used by the export)."""

    commune_code = fields.Field(attribute="team__area", column_name="Mã xã")
    hamlet = fields.Field(column_name="Thôn/Ấp")
    team_name = fields.Field(attribute="team__name", column_name="Tên tổ")

    class Meta:
        model = Member
        fields = ("commune_code", "hamlet", "team_name")

    def dehydrate_commune_code(self, member):
        area = member.team.area
        return area.parent.code if area.level == Level.HAMLET else area.code

    def dehydrate_hamlet(self, member):
        return member.team.area.name if member.team.area.level == Level.HAMLET else ""


class MemberImport(ImportHandler):
    kind = "members"
    title = "Danh sách thành viên"
    columns = [
        Column("commune_code", "Mã xã", True, gettext_lazy("Official code of the commune (5 digits)."), "27496"),
        Column(
            "hamlet",
            "Thôn/Ấp",
            False,
            gettext_lazy("Name of the hamlet, as on the portal; empty for a commune-level team."),
            "Ấp 1",
        ),
        Column(
            "team_name",
            "Tên tổ",
            False,
            gettext_lazy("Used only when the hamlet has no active team yet."),
            "Tổ CNSCĐ Ấp 1",
            max_length=200,
        ),
        Column("full_name", "Họ và tên", True, gettext_lazy("Full name."), "Nguyễn Văn An", max_length=150),
        Column("gender", "Giới tính", True, gettext_lazy("Nam, Nữ or Khác."), "Nam"),
        Column("birth_year", "Năm sinh", False, gettext_lazy("Four digits."), "1995"),
        Column(
            "phone",
            "Số điện thoại",
            False,
            gettext_lazy("Vietnamese mobile number (phone or citizen-ID is required)."),
            "0912345678",
        ),
        Column(
            "citizen_id",
            "Số CCCD",
            False,
            gettext_lazy("12 digits; only a keyed hash and the last 4 digits are kept."),
            "",
        ),
        Column(
            "organization",
            "Tổ chức",
            True,
            gettext_lazy("One of the organisations listed above."),
            "Đoàn Thanh niên",
        ),
        Column(
            "role",
            "Vai trò",
            True,
            gettext_lazy("Tổ trưởng, Tổ phó or Thành viên (one leader per team)."),
            "Thành viên",
        ),
        Column("joined_on", "Ngày tham gia", False, gettext_lazy("dd/mm/yyyy."), "01/03/2024"),
        Column("left_on", "Ngày rời tổ", False, gettext_lazy("dd/mm/yyyy; empty while still in the team."), ""),
        Column(
            "trained_on",
            "Ngày hoàn thành khóa Phổ cập kỹ năng số",
            False,
            gettext_lazy("dd/mm/yyyy; empty if not yet."),
            "",
        ),
    ]
    instructions = [
        gettext_lazy("One row per member. Columns marked * are required. Keep the first row (the headers) as it is."),
        gettext_lazy("A hamlet is found by the commune code and its name; it must already exist on the portal."),
        gettext_lazy("If the hamlet has no active team, one is founded with the name of column “Tên tổ”."),
        gettext_lazy(
            "A member is matched by phone number or citizen-ID: importing the same file again creates no duplicates."
        ),
        gettext_lazy(
            "If any row has an error nothing is saved; the error list gives the row, the column and the reason."
        ),
        gettext_lazy("Check first with “Check only (dry run)”, then import."),
        listed("Tổ chức", Organization),
        listed("Vai trò", MemberRole),
    ]

    # --- check ---------------------------------------------------------------------------------------------
    @classmethod
    def admit(cls, *, acting_user) -> None:
        """A user who has used up today's out-of-scope refusals may not upload a roster (429, nothing stored)."""
        duplicates.refusals_check(acting_user=acting_user)

    def check(self, rows, progress) -> list[RowError]:
        try:  # the day's refusals may have run out since the upload (a large file waits for Celery)
            duplicates.refusals_check(acting_user=self.acting_user)
        except duplicates.TooManyRefusals as error:
            self._rows = []
            return [RowError(None, _("file"), str(error))]
        errors: list[RowError] = []
        parsed: list[tuple[int, dict]] = []
        for i, (number, raw) in enumerate(rows, start=1):
            values, cell_errors = roster_rows.clean_row(self, number, raw)
            parsed.append((number, values))
            errors.extend(cell_errors)
            if i % 500 == 0:
                progress(i // 2)
        self._teams = roster_rows.resolve_areas(self, parsed, errors)
        roster_rows.same_person_rows(self, parsed, errors)
        roster_rows.match_members(parsed, self._teams)
        errors.extend(self._rule_errors(parsed))
        progress(len(rows))
        self._rows = parsed
        return sorted(errors, key=lambda e: (e.row or 0, e.field))

    def _rule_errors(self, parsed: list[tuple[int, dict]]) -> list[RowError]:
        """The roster rules (``members.rules``, those of the pages and the API) on the rosters the file would leave,
        from its rows whose cells, unit and member are clear.

        A person active in a team the user may view is named on their row; people active in teams outside the
        user's scope are never reported per row but once for the whole file, in dry runs as in real ones, and the
        file counts one refusal of the day (``members.duplicates``): a file of candidate numbers learns at most
        "someone here is active elsewhere", whichever row it is.
        """
        checked = [(number, values) for number, values in parsed if values["ok"]]
        founded: dict[int, Team] = {}
        proposed = [self._proposed(values, founded) for _number, values in checked]
        found = rules.roster_errors(
            proposed, acting_user=self.acting_user, surface="roster import", rows=[n for n, _v in checked]
        )
        errors = [
            RowError(checked[e.index][0], self.header_of("team_name" if e.field == "team" else e.field), e.message)
            for e in found
            if e.field != duplicates.NON_FIELD
        ]
        if any(e.field == duplicates.NON_FIELD for e in found):
            errors.append(RowError(None, _("file"), str(duplicates.OUT_OF_SCOPE_FILE_MESSAGE)))
        return errors

    def _proposed(self, values: dict, founded: dict[int, Team]) -> Member:
        """The row's member as the import would leave it; a unit without an active team gets one (unsaved)."""
        area = values["area"]
        if area.pk not in self._teams and area.pk not in founded:
            founded[area.pk] = Team(area=area, status=TeamStatus.ACTIVE)
        team = self._teams.get(area.pk) or founded[area.pk]
        current = values["member"]
        member = Member(pk=current.pk if current else None, team=team, **{f: values[f] for f in FIELDS})
        member.citizen_id_hash = values["citizen_id_hash"] or (current.citizen_id_hash if current else "")
        return member

    # --- save ----------------------------------------------------------------------------------------------
    def save(self) -> tuple[int, int, int]:
        today = timezone.localdate()
        first_joined: dict[int, date] = {}
        names: dict[int, str] = {}
        for _number, values in self._rows:
            area = values["area"]
            if area.pk not in self._teams:
                names.setdefault(area.pk, values["team_name"] or f"Tổ CNSCĐ {area.name}")
                if values["joined_on"] and (area.pk not in first_joined or values["joined_on"] < first_joined[area.pk]):
                    first_joined[area.pk] = values["joined_on"]
        founded = Team.objects.bulk_create(
            Team(area_id=pk, name=name, established_on=first_joined.get(pk, today), status=TeamStatus.ACTIVE)
            for pk, name in names.items()
        )
        self._teams.update({team.area_id: team for team in founded})
        fields_ = FIELDS
        new, changed, demote, unchanged = [], [], [], 0
        for _number, values in self._rows:
            team = self._teams[values["area"].pk]
            member = values["member"] or Member(team=team)
            before = {f: getattr(member, f) for f in fields_}
            for f in fields_:
                setattr(member, f, values[f])
            if values["citizen_id_hash"]:
                member.citizen_id_hash, member.citizen_id_last4 = values["citizen_id_hash"], values["citizen_id_last4"]
            if member.pk is None:
                new.append(member)
            elif before != {f: getattr(member, f) for f in fields_}:
                (demote if before["role"] == MemberRole.LEADER else changed).append(member)
            else:
                unchanged += 1
        # Former leaders step down before new ones step up (the unique index is checked row by row).
        Member.objects.bulk_update(demote, [*fields_, "citizen_id_hash", "citizen_id_last4"], batch_size=500)
        Member.objects.bulk_update(changed, [*fields_, "citizen_id_hash", "citizen_id_last4"], batch_size=500)
        Member.objects.bulk_create(new, batch_size=1000)
        return len(new), len(demote) + len(changed), unchanged

    # --- export --------------------------------------------------------------------------------------------
    def export_rows(self, queryset):
        resource = MemberResource()
        genders, organizations, roles = (vi_labels(c) for c in (Gender, Organization, MemberRole))
        for member in queryset.select_related("team__area__parent").order_by("team__area__path", "full_name"):
            yield [
                resource.dehydrate_commune_code(member),
                resource.dehydrate_hamlet(member),
                member.team.name,
                member.full_name,
                genders.get(member.gender, member.gender),
                member.birth_year or "",
                member.phone,
                "",  # the citizen-ID is never stored in clear
                organizations.get(member.organization, member.organization),
                roles.get(member.role, member.role),
                _format_date(member.joined_on),
                _format_date(member.left_on),
                _format_date(member.trained_on),
            ]
