"""Demo hamlets and users for ``make run`` (idempotent). Not for production databases."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Role, RoleAssignment, User
from areas import services
from areas.models import Area, Level, Structure
from households.models import Household
from members.models import Member, MemberRole
from teams.models import Team, TeamStatus

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 — printed on screen by `make run`, demo data only
DEMO_PROVINCE_CODE = "80"  # Tây Ninh today (Long An's code before 2025)
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hải", "Khoa", "Lộc", "Minh", "Nam", "Phúc", "Sơn", "Tài"]
HAMLETS = [("Ấp 1", "Ấp"), ("Ấp 2", "Ấp"), ("Ấp 3", "Ấp"), ("Khu phố Chợ", "Khu phố")]


class Command(BaseCommand):
    help = "Create demo hamlets and one user per role in the current province 80 (password: Demo@2026)."

    @transaction.atomic
    def handle(self, *args, **options):
        province = Area.objects.filter(
            structure=Structure.CURRENT, level=Level.PROVINCE, code=DEMO_PROVINCE_CODE
        ).first()
        if province is None:
            raise CommandError("Import the administrative units first: manage.py import_admin_units --province 80")
        communes = list(Area.objects.filter(parent=province, level=Level.COMMUNE).order_by("code")[:2])
        hamlets = []
        for commune in communes:
            for name, kind in HAMLETS:
                hamlet = Area.objects.filter(parent=commune, level=Level.HAMLET, name=name).first()
                hamlets.append(hamlet or services.hamlet_create(parent=commune, name=name, kind=kind))
        people = [
            ("admin", "Quản trị hệ thống", None, None),
            ("tinh.admin", "Nguyễn Thị Tỉnh", Role.PROVINCE_ADMIN, province),
            ("lanh.dao", "Trần Văn Lãnh", Role.VIEWER, province),
            ("xa.canbo", "Lê Thị Xã", Role.COMMUNE_OFFICER, communes[0]),
            ("xa2.canbo", "Phạm Văn Hai", Role.COMMUNE_OFFICER, communes[1]),
            ("to.truong", "Võ Văn Tổ", Role.TEAM_LEADER, hamlets[0]),
            ("to.vien", "Huỳnh Thị Viên", Role.TEAM_MEMBER, hamlets[0]),
        ]
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}):")
        for username, full_name, role, area in people:
            user, created = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = user.is_superuser = role is None
                user.save()
            if role:
                RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
            where = f"{area.name}" if area else "toàn quốc"
            self.stdout.write(f"  {username:<11} {str(role.label) if role else 'Superuser':<26} {where}")
        self._team(hamlets[0])

    def _team(self, hamlet) -> None:
        """The demo team of "Ấp 1": to.truong leads it, to.vien logs visits on the phone; 30 households."""
        team = Team.objects.filter(area=hamlet, status=TeamStatus.ACTIVE).first() or Team.objects.create(
            area=hamlet, name=f"Tổ CNSCĐ {hamlet.name}", established_on=date(2024, 3, 1),
            decision_number="15/QĐ-UBND", decision_issuer=f"UBND {hamlet.parent.name}",
        )  # fmt: skip
        roster = [("to.truong", "Võ Văn Tổ", MemberRole.LEADER, "hamlet_head"),
                  ("to.vien", "Huỳnh Thị Viên", MemberRole.MEMBER, "youth_union")]  # fmt: skip
        for username, full_name, role, organization in roster:
            user = User.objects.get(username=username)
            Member.objects.get_or_create(
                user=user, left_on__isnull=True,
                defaults={"team": team, "full_name": full_name, "gender": "female" if "Thị" in full_name else "male",
                          "organization": organization, "role": role, "joined_on": date(2024, 3, 1),
                          "trained_on": date(2024, 6, 15)},
            )  # fmt: skip
        streets = ["Đường số 1", "Đường số 2", "Tổ 3", "Tổ 4"]
        Household.objects.bulk_create(
            [Household(area=hamlet, code=f"A1-{i:03d}", head_name=f"{FAMILY[i % 8]} Văn {GIVEN[i % 12]}",
                       address=f"{10 + i} {streets[i % len(streets)]}", size=1 + i % 6, has_smartphone=i % 3 != 0)
             for i in range(1, 31)],
            ignore_conflicts=True,
        )  # fmt: skip
