"""Import kind ``hamlets``: communes add their hamlets from a spreadsheet (natural key: commune code + name)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from areas import policy, services
from areas.models import HAMLET_KINDS, Area, Level
from imports.base import Column, ImportHandler, RowError, cell_text


class HamletImport(ImportHandler):
    kind = "hamlets"
    title = "Danh sách thôn ấp"
    columns = [
        Column("commune_code", "Mã xã", True, gettext_lazy("Official code of the commune (5 digits)."), "27496"),
        Column("name", "Tên thôn/ấp", True, gettext_lazy("Name of the hamlet."), "Ấp 1", max_length=200),
        Column("kind", "Loại", True, gettext_lazy("One of the kinds listed above."), "Ấp"),
        Column(
            "code",
            "Mã thôn/ấp",
            False,
            gettext_lazy("The commune's own code for the hamlet, if any."),
            "",
            max_length=20,
        ),
    ]
    instructions = [
        gettext_lazy("One row per hamlet. Columns marked * are required. Keep the first row (the headers) as it is."),
        gettext_lazy("A hamlet already on the portal (same commune, same name) is updated, not added twice."),
        gettext_lazy(
            "If any row has an error nothing is saved; the error list gives the row, the column and the reason."
        ),
        "Loại: " + ", ".join(HAMLET_KINDS),
    ]

    def check(self, rows, progress) -> list[RowError]:
        errors: list[RowError] = []
        codes = {cell_text(raw.get("commune_code")) for _n, raw in rows}
        communes = {
            a.code: a
            for a in policy.areas(self.acting_user, "area", "add").current().filter(level=Level.COMMUNE, code__in=codes)
        }
        existing = {
            (h.parent_id, h.name.lower()): h
            for h in Area.objects.filter(level=Level.HAMLET, parent__in=[c.pk for c in communes.values()])
        }
        kinds = {k.lower(): k for k in HAMLET_KINDS}
        seen: dict[tuple, int] = {}
        self._plan = []
        for number, raw in rows:
            row_errors: list[RowError] = []

            def error(key: str, message: str) -> None:
                row_errors.append(RowError(number, self.header_of(key), message))  # noqa: B023 — used at once

            code, name, kind, local_code = (
                self.text(raw, k, row_errors, number) for k in ("commune_code", "name", "kind", "code")
            )
            commune = communes.get(code)
            if commune is None:
                error("commune_code", _("Unknown commune code “%(code)s” (or outside your area).") % {"code": code})
            if not name:
                error("name", _("Enter the hamlet's name."))
            if kind.lower() not in kinds:
                error("kind", _("Unknown kind “%(value)s”; see the Instructions sheet.") % {"value": kind})
            if commune and name:
                key = (commune.pk, name.lower())
                if key in seen:
                    error("name", _("Same hamlet as row %(row)s.") % {"row": seen[key]})
                seen[key] = number
            if not row_errors:
                self._plan.append((commune, name, kinds[kind.lower()], local_code, existing.get(key)))
            errors.extend(row_errors)
        progress(len(rows))
        return errors

    def save(self) -> tuple[int, int, int]:
        created = updated = unchanged = 0
        for commune, name, kind, code, hamlet in self._plan:
            if hamlet is None:
                services.hamlet_create(parent=commune, name=name, kind=kind, code=code)
                created += 1
            elif (hamlet.kind, hamlet.code) != (kind, code or hamlet.code):
                services.hamlet_update(hamlet=hamlet, kind=kind, code=code or hamlet.code)
                updated += 1
            else:
                unchanged += 1
        return created, updated, unchanged

    def export_rows(self, queryset):
        for hamlet in queryset.filter(level=Level.HAMLET).select_related("parent").order_by("parent__code", "name"):
            yield [hamlet.parent.code, hamlet.name, hamlet.kind, hamlet.code]
