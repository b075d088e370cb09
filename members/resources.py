"""Roster spreadsheets: the import handler (kind ``members``) and the export in the same layout.

The column layout and the cleaning of each cell are django-import-export widgets-free on purpose: a roster is
checked in bulk (a few queries for the whole file, not several per row), which is what keeps 5,500 rows well
under the 15 s target; the export uses an import-export ``ModelResource`` to read the rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources

from areas import policy
from areas.models import Level
from imports.base import Column, ImportHandler, RowError, cell_text, parse_date
from members import duplicates
from members.models import Gender, Member, MemberRole, Organization
from members.validators import citizen_id_hash, normalize_citizen_id, normalize_phone
from teams.models import Team, TeamStatus

ORGANIZATION_LABELS_VI = {
    Organization.YOUTH_UNION: "Đoàn Thanh niên",
    Organization.WOMEN_UNION: "Hội Liên hiệp Phụ nữ",
    Organization.FARMERS_UNION: "Hội Nông dân",
    Organization.VETERANS: "Hội Cựu chiến binh",
    Organization.FATHERLAND_FRONT: "Mặt trận Tổ quốc",
    Organization.POLICE: "Công an",
    Organization.COMMUNE_STAFF: "Cán bộ xã",
    Organization.HAMLET_HEAD: "Trưởng thôn/ấp",
    Organization.PARTY_CELL: "Chi bộ",
    Organization.ENTERPRISE: "Doanh nghiệp (VNPT, Viettel, Bưu điện…)",
    Organization.TEACHER: "Giáo viên",
    Organization.OTHER: "Khác",
}
ROLE_LABELS_VI = {MemberRole.LEADER: "Tổ trưởng", MemberRole.DEPUTY: "Tổ phó", MemberRole.MEMBER: "Thành viên"}
GENDER_LABELS_VI = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ", Gender.OTHER: "Khác"}


def _lookup(labels: dict) -> dict[str, str]:
    """Accept the Vietnamese label, the English label or the code, in any case."""
    table = {}
    for code, label in labels.items():
        table[str(code).lower()] = str(code)
        table[label.lower()] = str(code)
    return table


ORGANIZATIONS = _lookup(ORGANIZATION_LABELS_VI) | {
    "đoàn tn": "youth_union",
    "đoàn thanh niên": "youth_union",
    "hội phụ nữ": "women_union",
    "phụ nữ": "women_union",
    "enterprise": "enterprise",
    "doanh nghiệp": "enterprise",
    "vnpt": "enterprise",
    "viettel": "enterprise",
    "bưu điện": "enterprise",
}
ROLES = _lookup(ROLE_LABELS_VI) | {"trưởng": "leader", "phó": "deputy", "tổ viên": "member"}
GENDERS = _lookup(GENDER_LABELS_VI)


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
        "Tổ chức: " + "; ".join(ORGANIZATION_LABELS_VI.values()),
        "Vai trò: " + "; ".join(ROLE_LABELS_VI.values()),
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
            parsed.append((number, self._clean(number, raw, errors)))
            if i % 500 == 0:
                progress(i // 2)
        self._resolve_areas(parsed, errors)
        self._match_members(parsed, errors)
        self._check_leaders(parsed, errors)
        progress(len(rows))
        self._rows = parsed
        return sorted(errors, key=lambda e: (e.row or 0, e.field))

    def _clean(self, number: int, raw: dict, errors: list[RowError]) -> dict:
        row_errors: list[RowError] = []

        def error(key: str, message: str) -> None:
            header = self.header_of(key)
            if not any(e.field == header for e in row_errors):  # one error per cell (a formula, not also "empty")
                row_errors.append(RowError(number, header, message))

        values: dict = {}
        for key in ("commune_code", "hamlet", "team_name", "full_name"):
            values[key] = self.text(raw, key, row_errors, number)
        if not values["commune_code"]:
            error("commune_code", _("Enter the commune code."))
        if not values["full_name"]:
            error("full_name", _("Enter the member's full name."))
        for key, table, message in (
            ("gender", GENDERS, _("Unknown gender “%(value)s”: use Nam, Nữ or Khác.")),
            ("organization", ORGANIZATIONS, _("Unknown organisation “%(value)s”; see the Instructions sheet.")),
            ("role", ROLES, _("Unknown role “%(value)s”: use Tổ trưởng, Tổ phó or Thành viên.")),
        ):
            text = self.text(raw, key, row_errors, number)
            if not text and key == "role":
                values[key] = MemberRole.MEMBER
            elif text.lower() in table:
                values[key] = table[text.lower()]
            else:
                error(key, message % {"value": text} if text else _("This column is required."))
        year = cell_text(raw.get("birth_year"))
        values["birth_year"] = None
        if year:
            if year.isdigit() and 1900 <= int(year) <= timezone.localdate().year:
                values["birth_year"] = int(year)
            else:
                error("birth_year", _("Birth year “%(value)s” is not a year.") % {"value": year})
        phone = self.text(raw, "phone", row_errors, number)
        values["phone"] = ""
        if phone:
            try:
                values["phone"] = normalize_phone(phone)
            except DjangoValidationError as problem:
                error("phone", f"“{phone}”: {problem.messages[0]}")
        citizen = self.text(raw, "citizen_id", row_errors, number)
        values["citizen_id_hash"] = values["citizen_id_last4"] = ""
        if citizen:
            try:
                citizen = normalize_citizen_id(citizen)
                values["citizen_id_hash"], values["citizen_id_last4"] = citizen_id_hash(citizen), citizen[-4:]
            except DjangoValidationError as problem:
                error("citizen_id", problem.messages[0])
        if not phone and not citizen:
            error("phone", _("Enter a phone number or a citizen-ID."))
        for key in ("joined_on", "left_on", "trained_on"):
            value = raw.get(key)
            values[key] = None
            if value not in (None, ""):
                try:
                    values[key] = parse_date(value)
                except ValueError:
                    error(key, _("“%(value)s” is not a date; use dd/mm/yyyy.") % {"value": cell_text(value)})
        if values["joined_on"] and values["left_on"] and values["left_on"] < values["joined_on"]:
            error("left_on", _("The leaving date cannot be before the joining date."))
        elif values["left_on"] and values["left_on"] > timezone.localdate():
            error("left_on", _("The leaving date cannot be in the future: record the departure once it happened."))
        values["ok"] = not row_errors
        errors.extend(row_errors)
        return values

    def _resolve_areas(self, parsed, errors) -> None:
        """Communes and hamlets inside the user's scope only: anything else is "unknown"."""
        codes = {v["commune_code"] for _n, v in parsed if v["commune_code"]}
        scoped = policy.areas(self.acting_user, "member", "add").current()
        communes = {a.code: a for a in scoped.filter(level=Level.COMMUNE, code__in=codes)}
        hamlets = {
            (h.parent_id, h.name.lower()): h
            for h in scoped.filter(level=Level.HAMLET, parent__in=[c.pk for c in communes.values()])
        }
        areas = set()
        for number, values in parsed:
            values["area"] = None
            if not values["commune_code"]:
                continue
            commune = communes.get(values["commune_code"])
            if commune is None:
                errors.append(
                    RowError(
                        number,
                        self.header_of("commune_code"),
                        _("Unknown commune code “%(code)s” (or outside your area).") % {"code": values["commune_code"]},
                    )
                )
                values["ok"] = False
                continue
            if values["hamlet"]:
                hamlet = hamlets.get((commune.pk, values["hamlet"].lower()))
                if hamlet is None:
                    errors.append(
                        RowError(
                            number,
                            self.header_of("hamlet"),
                            _("Unknown hamlet “%(name)s” in %(commune)s.")
                            % {"name": values["hamlet"], "commune": commune.name},
                        )
                    )
                    values["ok"] = False
                    continue
                values["area"] = hamlet
            else:
                values["area"] = commune
            areas.add(values["area"].pk)
        self._teams = {t.area_id: t for t in Team.objects.active().filter(area_id__in=areas)}

    def _match_members(self, parsed, errors) -> None:
        """Find each row's existing member (same phone or citizen-ID); refuse people active in another team.

        A person active in a team the user may view is named on their row; people active in teams outside the
        user's scope are never reported per row but once for the whole file, in dry runs as in real ones, and
        the file counts one refusal of the day (``members.duplicates``): a file of candidate numbers learns at
        most "someone here is active elsewhere", whichever row it is.
        """
        phones = {v["phone"] for _n, v in parsed if v.get("phone")}
        hashes = {v["citizen_id_hash"] for _n, v in parsed if v.get("citizen_id_hash")}
        existing = list(
            Member.objects.filter(Q(phone__in=phones) | Q(citizen_id_hash__in=hashes)).select_related("team")
        )
        visible = duplicates.visible_ids(acting_user=self.acting_user, members=[m for m in existing if m.is_active])
        hidden = False
        by_phone, by_hash = defaultdict(list), defaultdict(list)
        for member in existing:
            if member.phone:
                by_phone[member.phone].append(member)
            if member.citizen_id_hash:
                by_hash[member.citizen_id_hash].append(member)
        seen_phone: dict[str, int] = {}
        seen_hash: dict[str, int] = {}
        for number, values in parsed:
            values["member"] = None
            for key, seen, label in (
                ("phone", seen_phone, "phone"),
                ("citizen_id_hash", seen_hash, "citizen_id"),
            ):
                if values.get(key):
                    if values[key] in seen:
                        errors.append(
                            RowError(
                                number,
                                self.header_of(label),
                                _("Same person as row %(row)s of this file.") % {"row": seen[values[key]]},
                            )
                        )
                        values["ok"] = False
                    else:
                        seen[values[key]] = number
            if not values["ok"]:
                continue
            candidates = by_phone.get(values["phone"], []) + by_hash.get(values["citizen_id_hash"], [])
            active = [m for m in candidates if m.left_on is None]
            team = self._teams.get(values["area"].pk)
            if active:
                member = active[0]
                if team is None or member.team_id != team.pk:
                    if values["left_on"] is None:
                        if member.pk in visible:
                            errors.append(
                                RowError(
                                    number,
                                    self.header_of("phone" if values["phone"] else "citizen_id"),
                                    _("%(name)s is already an active member of “%(team)s”.")
                                    % {"name": member.full_name, "team": member.team},
                                )
                            )
                        else:
                            hidden = True
                        values["ok"] = False
                    continue
                values["member"] = member
            elif team is not None:
                same = [m for m in candidates if m.team_id == team.pk and m.joined_on == values["joined_on"]]
                values["member"] = same[0] if same else None
        if hidden:
            errors.append(RowError(None, _("file"), str(duplicates.OUT_OF_SCOPE_FILE_MESSAGE)))
            duplicates.refusal_record(acting_user=self.acting_user, surface="roster import")

    def _check_leaders(self, parsed, errors) -> None:
        """At most one active leader per team, counting the leaders already on the portal."""
        current = {
            m.team_id: m
            for m in Member.objects.active().filter(
                role=MemberRole.LEADER, team_id__in=[t.pk for t in self._teams.values()]
            )
        }
        touched = {v["member"].pk: v for _n, v in parsed if v.get("member")}
        leader_rows: dict[int, int] = {}
        for number, values in parsed:
            if not values.get("area") or values.get("role") != MemberRole.LEADER or values["left_on"]:
                continue
            area_id = values["area"].pk
            if area_id in leader_rows:
                errors.append(
                    RowError(
                        number,
                        self.header_of("role"),
                        _("The team already has a leader at row %(row)s; a team has one leader.")
                        % {"row": leader_rows[area_id]},
                    )
                )
                values["ok"] = False
                continue
            leader_rows[area_id] = number
            team = self._teams.get(area_id)
            existing = current.get(team.pk) if team else None
            if existing and (values.get("member") is None or values["member"].pk != existing.pk):
                demoted = existing.pk in touched and (
                    touched[existing.pk]["role"] != MemberRole.LEADER or touched[existing.pk]["left_on"]
                )
                if not demoted:
                    errors.append(
                        RowError(
                            number,
                            self.header_of("role"),
                            _("The team already has an active leader (%(name)s).") % {"name": existing.full_name},
                        )
                    )
                    values["ok"] = False

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
        fields_ = [
            "full_name",
            "gender",
            "birth_year",
            "phone",
            "organization",
            "role",
            "joined_on",
            "left_on",
            "trained_on",
        ]
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
        for member in queryset.select_related("team__area__parent").order_by("team__area__path", "full_name"):
            yield [
                resource.dehydrate_commune_code(member),
                resource.dehydrate_hamlet(member),
                member.team.name,
                member.full_name,
                GENDER_LABELS_VI.get(member.gender, member.gender),
                member.birth_year or "",
                member.phone,
                "",  # the citizen-ID is never stored in clear
                ORGANIZATION_LABELS_VI.get(member.organization, member.organization),
                ROLE_LABELS_VI.get(member.role, member.role),
                _format_date(member.joined_on),
                _format_date(member.left_on),
                _format_date(member.trained_on),
            ]
