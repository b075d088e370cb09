"""Moving what was recorded under former communes to their successors (the 01/07/2025 reorganisation).

The old → new commune mapping comes from ``converter_2025.json`` in the ``vietnamadminunits`` package; a
commune that was split goes to the package's default successor. Hamlets move with everything recorded under
them (teams, households, visits follow their hamlet through their foreign key); records placed on the former
commune itself (a commune-level team, a one-stop-desk visit) are pointed at the successor. Paths are rewritten
in the same transaction. Nothing is copied, so nothing is counted twice; a re-run moves nothing.

Roles are different: a role on a former commune pointed at the merged commune would give its holder the personal
data of every commune merged into it. So a role moves only as a plan (``RoleMove``) that a province
administrator confirms or refuses, each move saying whether it widens the holder's scope. Until then the
assignment stays on the former commune, whose subtree holds nothing current any more: the holder loses the
rights rather than gaining them (deny by default). Hamlet-level roles need no plan: the hamlet moves itself.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from areas import policy
from areas.importers import dataset_path
from areas.models import Area, Level, RoleMove, RoleMoveStatus, Structure, rebuild_paths


def successor_codes() -> dict[str, str]:
    """Legacy commune code → code of its successor commune in the current structure."""
    return dict(_converter()[0])


@lru_cache(maxsize=1)
def _converter() -> tuple[dict[str, str], dict[str, frozenset[str]], dict[str, str]]:
    """(legacy code → successor code, current code → every legacy code it took in whole or in part, legacy
    code → "commune, district" as the package names them)."""
    connection = sqlite3.connect(f"file:{dataset_path()}?mode=ro", uri=True)
    try:
        old_codes: dict[str, str] = {}
        names: dict[str, str] = {}
        for p, d, w, code, ward, district in connection.execute(
            "SELECT provinceKey, districtKey, wardKey, wardCode, ward, district FROM admin_units_legacy "
            "WHERE wardCode IS NOT NULL"
        ):
            old_codes[f"{p}_{d}_{w}"] = code
            names[code] = f"{ward}, {district}"
        new_codes = {
            (p, w): code for p, w, code in connection.execute("SELECT provinceKey, wardKey, wardCode FROM admin_units")
        }
    finally:
        connection.close()
    converter = json.loads((dataset_path().parent / "converter_2025.json").read_text())
    mapping: dict[str, str] = {}
    predecessors: dict[str, set[str]] = {}
    for province_key, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            for old_key in old_keys:
                if old_key in old_codes:  # island districts without communes appear as "province_district_"
                    new_code = new_codes[(province_key, ward_key)]
                    mapping[old_codes[old_key]] = new_code
                    predecessors.setdefault(new_code, set()).add(old_codes[old_key])
    for province_key, old_wards in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, candidates in old_wards.items():
            if old_key not in old_codes:
                continue
            default = next((c for c in candidates if c["isDefaultNewWard"]), candidates[0])
            mapping[old_codes[old_key]] = new_codes[(province_key, default["newWardKey"])]
            for candidate in candidates:  # each part of a split commune widens the commune it went to
                new_code = new_codes[(province_key, candidate["newWardKey"])]
                predecessors.setdefault(new_code, set()).add(old_codes[old_key])
    return mapping, {code: frozenset(olds) for code, olds in predecessors.items()}, names


def _area_references() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) pointing at an Area, except the tree itself, the audit history, the reports app (its
    KPI tables are recomputed from the moved records — a tree change queues a full rollup — and a former
    commune's targets and monthly reports describe that commune as it was, so they stay with it), role
    assignments (they move only through a confirmed ``RoleMove``) and the plan itself."""
    role_assignment = apps.get_model("accounts", "RoleAssignment")
    references = []
    for model in apps.get_models():
        if model in (Area, RoleMove, role_assignment) or model.__name__.endswith("Event"):
            continue
        if model._meta.app_label in ("pghistory", "reports"):
            continue
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.ForeignKey) and model_field.related_model is Area:
                references.append((model, model_field.name))
    return references


@dataclass
class Move:
    old: Area
    new: Area
    hamlets: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    roles: list[RoleMove] = field(default_factory=list)  # role moves proposed by this run


@transaction.atomic
def apply_reorganization() -> list[Move]:
    """Move hamlets and records of former communes to their successors and propose the moves of their roles;
    returns what moved."""
    mapping, predecessors, names = _converter()
    successors = {
        a.code: a
        for a in Area.objects.filter(structure=Structure.CURRENT, level=Level.COMMUNE, code__in=set(mapping.values()))
    }
    references = _area_references()
    moves: list[tuple[Move, list[int]]] = []
    former = Area.objects.filter(structure=Structure.LEGACY, level=Level.COMMUNE, code__in=mapping.keys())
    for old in former.order_by("code"):
        new = successors.get(mapping[old.code])
        if new is None:
            continue  # the successor's province is not imported
        move = Move(old=old, new=new)
        moved_hamlets: list[int] = []
        taken = {n.lower() for n in new.children.filter(level=Level.HAMLET).values_list("name", flat=True)}
        for hamlet in old.children.filter(level=Level.HAMLET).order_by("name"):
            name = hamlet.name
            if name.lower() in taken:
                name = f"{hamlet.name} ({old.name})"
                move.renamed.append((hamlet.name, name))
            taken.add(name.lower())
            hamlet.parent, hamlet.name, hamlet.structure = new, name, Structure.CURRENT
            hamlet.valid_from, hamlet.valid_to = new.valid_from, new.valid_to
            hamlet.save()
            move.hamlets.append(name)
            moved_hamlets.append(hamlet.pk)
        for model, field_name in references:
            moved = model._default_manager.filter(**{field_name: old}).update(**{field_name: new})
            if moved:
                move.records[model._meta.label] = moved
        move.roles = _propose_role_moves(old, new)
        if move.hamlets or move.records or move.roles:
            moves.append((move, moved_hamlets))
    if moves:
        rebuild_paths()
    for move, moved_hamlets in moves:
        for role_move in move.roles:
            _mark_widening(role_move, predecessors, names, moved_hamlets)
    return [move for move, _hamlets in moves]


def _propose_role_moves(old: Area, new: Area) -> list[RoleMove]:
    """A proposal for every role on ``old`` that has none waiting yet; the assignments themselves stay."""
    role_assignment = apps.get_model("accounts", "RoleAssignment")
    proposed = []
    for assignment in role_assignment.objects.filter(area=old).select_related("user").order_by("pk"):
        role_move, created = RoleMove.objects.get_or_create(
            user=assignment.user,
            role=assignment.role,
            from_area=old,
            status=RoleMoveStatus.PROPOSED,
            defaults={"to_area": new},
        )
        if created:
            proposed.append(role_move)
    return proposed


def _mark_widening(role_move: RoleMove, predecessors, names, moved_hamlets: list[int]) -> None:
    """Whether the successor covers more than the former commune did, for this holder, and with what."""
    new, old = role_move.to_area, role_move.from_area
    held = role_move.user.role_assignments.filter(role=role_move.role).exclude(area=old)
    if any(new.path.startswith(path) for path in held.values_list("area__path", flat=True)):
        return  # the holder already has this role over the successor: the move adds nothing
    communes = sorted(names.get(code, code) for code in predecessors.get(new.code, frozenset()) - {old.code})
    others = Area.objects.filter(parent=new, level=Level.HAMLET).exclude(pk__in=moved_hamlets).order_by("name")
    total = others.count()
    if communes or total:
        role_move.widens = True
        role_move.also_covers = {
            "communes": communes,
            "hamlets": list(others.values_list("name", flat=True)[:20]),
            "hamlets_total": total,
        }
        role_move.save(update_fields=["widens", "also_covers"])


def pending_role_moves(user) -> models.QuerySet:
    """The proposed role moves ``user`` may see (province administrators of the successor's province)."""
    return (
        RoleMove.objects.restrict(user, "view")
        .filter(status=RoleMoveStatus.PROPOSED)
        .select_related("user", "from_area", "from_area__parent", "to_area")
    )


def _decidable(role_move: RoleMove, acting_user) -> RoleMove:
    """The move, locked, if ``acting_user`` may decide it and nobody has yet."""
    if not policy.permits(acting_user, "rolemove", "confirm", role_move.to_area):
        raise PermissionDenied
    locked = RoleMove.objects.select_for_update().select_related("user", "from_area", "to_area").get(pk=role_move.pk)
    if locked.status != RoleMoveStatus.PROPOSED:
        raise ValidationError(_("This move has already been decided."))
    return locked


def _decided(role_move: RoleMove, status: str, acting_user) -> RoleMove:
    role_move.status, role_move.decided_by, role_move.decided_at = status, acting_user, timezone.now()
    role_move.save(update_fields=["status", "decided_by", "decided_at"])
    return role_move


@transaction.atomic
def role_move_confirm(*, role_move: RoleMove, acting_user) -> RoleMove:
    """Point the assignment at the successor (or drop it where the holder already has that role there)."""
    role_move = _decidable(role_move, acting_user)
    role_assignment = apps.get_model("accounts", "RoleAssignment")
    assignment = role_assignment.objects.filter(
        user=role_move.user, role=role_move.role, area=role_move.from_area
    ).first()
    if assignment is None:
        raise ValidationError(_("This role assignment no longer exists, so there is nothing to move: refuse the move."))
    if role_assignment.objects.filter(user=role_move.user, role=role_move.role, area=role_move.to_area).exists():
        assignment.delete()
    else:
        assignment.area = role_move.to_area
        assignment.save(update_fields=["area"])
    return _decided(role_move, RoleMoveStatus.CONFIRMED, acting_user)


@transaction.atomic
def role_move_refuse(*, role_move: RoleMove, acting_user) -> RoleMove:
    """Remove the assignment on the former commune: the holder keeps no role there, and gains none."""
    role_move = _decidable(role_move, acting_user)
    role_assignment = apps.get_model("accounts", "RoleAssignment")
    role_assignment.objects.filter(user=role_move.user, role=role_move.role, area=role_move.from_area).delete()
    return _decided(role_move, RoleMoveStatus.REFUSED, acting_user)


@transaction.atomic
def role_moves_confirm_non_widening(*, acting_user) -> int:
    """Confirm every proposed move ``acting_user`` may decide that does not widen its holder's scope."""
    waiting = RoleMove.objects.restrict(acting_user, "confirm").filter(status=RoleMoveStatus.PROPOSED, widens=False)
    confirmed = 0
    for role_move in waiting.order_by("pk"):
        try:
            role_move_confirm(role_move=role_move, acting_user=acting_user)
        except ValidationError:
            continue  # its assignment is gone: left for the administrator to refuse
        confirmed += 1
    return confirmed
