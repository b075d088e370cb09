"""The suite's data: four hamlets in four corners of the tree, everything the API serves in each, and personas.

Hamlets: ``A1`` (current commune A of Tây Ninh, 80), ``B1`` (current commune B), ``L1`` and ``L2`` (communes of two
legacy districts of Long An, 80). In each: a team, a leader and a member with their logins, a household, a visit,
a training session, a target, a monthly report and an import job. Personas (``r.<role>``), each with the hamlet
inside its scope and one outside it:

=================  =========================  ======  =======
persona            role on                    inside  outside
=================  =========================  ======  =======
province_admin     current province 80        A1      L1
district_officer   legacy district of L1      L1      L2
commune_officer    commune A                  A1      B1
team_leader        hamlet A1                  A1      B1
team_member        hamlet A1                  A1      B1
viewer             current province 80        A1      L1
=================  =========================  ======  =======

``build()`` is idempotent: a second call finds what the first made. Everything is addressed by name, so the
checks never depend on ids.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

PASSWORD = "Robust-2026-mật-khẩu"  # noqa: S105 — the suite's own throwaway users
HAMLETS = ("A1", "B1", "L1", "L2")
ROLES = ("province_admin", "district_officer", "commune_officer", "team_leader", "team_member", "viewer")
SCOPE = {
    "province_admin": ("A1", "L1"),
    "district_officer": ("L1", "L2"),
    "commune_officer": ("A1", "B1"),
    "team_leader": ("A1", "B1"),
    "team_member": ("A1", "B1"),
    "viewer": ("A1", "L1"),
}
VISIT_DATE = date(2026, 10, 5)


@dataclass
class Corner:
    """What lives in one hamlet (ids)."""

    hamlet: int
    commune: int
    team: int
    leader: int
    member: int
    member_user: int
    household: int
    visit: int
    training_session: int
    target: int
    report: int
    import_job: int


@dataclass
class World:
    province: int
    legacy_province: int
    corners: dict[str, Corner] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)  # persona → user id

    def username(self, role: str) -> str:
        return f"r.{role}"


def _areas():
    from areas.models import Area, Level, Structure

    province = Area.objects.get(structure=Structure.CURRENT, level=Level.PROVINCE, code="80")
    legacy = Area.objects.get(structure=Structure.LEGACY, level=Level.PROVINCE, code="80")
    communes = list(Area.objects.filter(parent=province, level=Level.COMMUNE).order_by("code")[:2])
    districts = list(Area.objects.filter(parent=legacy, level=Level.DISTRICT).order_by("code")[:2])
    legacy_communes = [Area.objects.filter(parent=d, level=Level.COMMUNE).order_by("code")[0] for d in districts]
    return province, legacy, dict(zip(HAMLETS, communes + legacy_communes, strict=True)), districts


def _corner(name: str, commune) -> Corner:
    from accounts.models import Role, RoleAssignment, User
    from areas import services as area_services
    from areas.models import Area
    from households import services as household_services
    from households import visits as visit_services
    from imports.models import ImportJob
    from members import services as member_services
    from members.models import TrainingSession
    from reports.models import Indicator, Report, Target
    from teams import services as team_services

    index = HAMLETS.index(name)
    hamlet = Area.objects.filter(parent=commune, name=f"Ấp R{name}").first() or area_services.hamlet_create(
        parent=commune, name=f"Ấp R{name}", kind="Ấp"
    )
    team = team_services.team_found(
        acting_user=None, area=hamlet, name=f"Tổ CNSCĐ R{name}", established_on=date(2024, 1, 1)
    )
    logins = {}
    for role in ("leader", "member"):
        user = User.objects.create_user(
            username=f"r.{name.lower()}.{role}", password=PASSWORD, full_name=f"{role.title()} {name}"
        )
        RoleAssignment.objects.create(
            user=user, role=Role.TEAM_LEADER if role == "leader" else Role.TEAM_MEMBER, area=hamlet
        )
        logins[role] = user
    leader = member_services.member_create(
        acting_user=None, team=team, full_name=f"Trưởng {name}", gender="male", organization="youth_union",
        role="leader", phone=f"09120{index:02d}001", user=logins["leader"],
    )  # fmt: skip
    member = member_services.member_create(
        acting_user=None, team=team, full_name=f"Thành viên {name}", gender="female", organization="women_union",
        phone=f"09120{index:02d}002", user=logins["member"], trained_on=date(2025, 3, 1),
    )  # fmt: skip
    household = household_services.household_create(
        acting_user=None, area=hamlet, code=f"R{name}-001", head_name=f"Chủ hộ {name}", phone=f"09120{index:02d}003",
        consent_given=True, size=4,
    )  # fmt: skip
    visit, _created = visit_services.visit_record(
        member=member, household=household, area=None, date=VISIT_DATE, channel="door_to_door",
        activities={"vneid_activation": 2}, client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"robust-{name}"),
        acting_user=logins["member"],
    )  # fmt: skip
    session = member_services.training_session_save(
        acting_user=None,
        session=TrainingSession(area=hamlet, held_on=date(2025, 3, 1), topic=f"Tập huấn {name}"),
        attendees=[member],
    )
    target, _created = Target.objects.get_or_create(
        indicator=Indicator.objects.get(code="visits"), area=commune, year=2026, month=None, defaults={"value": 100}
    )

    report, _created = Report.objects.get_or_create(
        area=commune, period="2026-10", defaults={"created_by": logins["leader"], "status": "draft"}
    )
    job = ImportJob.objects.create(
        kind="members", file="imports/robust.csv", original_name="robust.csv", dry_run=True,
        created_by=logins["member"], status="rejected",
    )  # fmt: skip
    return Corner(
        hamlet=hamlet.pk, commune=commune.pk, team=team.pk, leader=leader.pk, member=member.pk,
        member_user=logins["member"].pk, household=household.pk, visit=visit.id, training_session=session.pk,
        target=target.pk, report=report.pk, import_job=job.pk,
    )  # fmt: skip


def build() -> World:
    """Create the world once (idempotent), and return it."""
    from django.db import transaction

    from accounts.models import Role, RoleAssignment, User
    from areas.models import Area
    from households.models import Household, Visit
    from imports.models import ImportJob
    from members.models import Member, TrainingSession
    from reports.models import Report, Target

    province, legacy, communes, districts = _areas()
    world = World(province=province.pk, legacy_province=legacy.pk)
    role_area = {
        "province_admin": province,
        "district_officer": districts[0],
        "commune_officer": communes["A1"],
        "team_leader": None,  # hamlet A1, below
        "team_member": None,
        "viewer": province,
    }
    with transaction.atomic():
        for name in HAMLETS:
            hamlet = Area.objects.filter(parent=communes[name], name=f"Ấp R{name}").first()
            household = hamlet and Household.objects.filter(area=hamlet, code=f"R{name}-001").first()
            if household is None:
                world.corners[name] = _corner(name, communes[name])
                continue
            member = Member.objects.get(team__area=hamlet, full_name=f"Thành viên {name}")
            world.corners[name] = Corner(
                hamlet=hamlet.pk,
                commune=communes[name].pk,
                team=member.team_id,
                leader=Member.objects.get(team__area=hamlet, role="leader").pk,
                member=member.pk,
                member_user=member.user_id,
                household=household.pk,
                visit=Visit.objects.get(client_uuid=uuid.uuid5(uuid.NAMESPACE_URL, f"robust-{name}")).pk,
                training_session=TrainingSession.objects.get(area=hamlet, topic=f"Tập huấn {name}").pk,
                target=Target.objects.get(area=communes[name], indicator__code="visits", year=2026, month=None).pk,
                report=Report.objects.get(area=communes[name], period="2026-10").pk,
                import_job=ImportJob.objects.filter(created_by_id=member.user_id).order_by("pk")[0].pk,
            )
        hamlet_a1 = Area.objects.get(pk=world.corners["A1"].hamlet)
        role_area["team_leader"] = role_area["team_member"] = hamlet_a1
        for role in ROLES:
            user = User.objects.filter(username=world.username(role)).first()
            if user is None:
                user = User.objects.create_user(
                    username=world.username(role), password=PASSWORD, full_name=role.replace("_", " ").title()
                )
                RoleAssignment.objects.create(user=user, role=getattr(Role, role.upper()), area=role_area[role])
                ImportJob.objects.create(
                    kind="members", file="imports/robust.csv", original_name="robust.csv", dry_run=True,
                    created_by=user, status="rejected",
                )  # fmt: skip
            world.users[role] = user.pk
    return world


def token(user_id: int) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user_id=user_id)[0].key


if __name__ == "__main__":
    from robustness.common import django_setup

    django_setup()
    w = build()
    print(f"world: {len(w.corners)} hamlets, {len(w.users)} personas")
