from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from areas.models import RoleMove, RoleMoveStatus
from areas.reorganization import (
    apply_reorganization,
    role_move_confirm,
    role_move_refuse,
    role_moves_confirm_non_widening,
)


class Command(BaseCommand):
    help = (
        "Move hamlets (with their teams, households and visits) from former communes to their successors. Roles "
        "on a former commune are only proposed for a move: a province administrator confirms or refuses each on "
        "/reorganization/roles/, or a superuser here (--list-roles, --confirm, --refuse, --confirm-non-widening)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list-roles", action="store_true", help="List the proposed role moves and stop.")
        parser.add_argument("--confirm", type=int, nargs="+", default=[], metavar="ID", help="Confirm these moves.")
        parser.add_argument("--refuse", type=int, nargs="+", default=[], metavar="ID", help="Refuse these moves.")
        parser.add_argument(
            "--confirm-non-widening", action="store_true", help="Confirm every proposed move that widens no scope."
        )
        parser.add_argument(
            "--as", dest="acting", metavar="USERNAME", help="The superuser who decides (default: the only one)."
        )

    def handle(self, *args, **options):
        deciding = options["confirm"] or options["refuse"] or options["confirm_non_widening"]
        if options["list_roles"] or deciding:
            if deciding:
                self._decide(options)
            self._list()
            return
        moves = apply_reorganization()
        for move in moves:
            records = ", ".join(f"{label}: {n}" for label, n in sorted(move.records.items()))
            self.stdout.write(
                f"{move.old.name} ({move.old.code}) → {move.new.name} ({move.new.code}): "
                f"{len(move.hamlets)} hamlets" + (f"; {records}" if records else "")
            )
            for before, after in move.renamed:
                self.stdout.write(f"    renamed “{before}” → “{after}” (name already used in {move.new.name})")
            for role_move in move.roles:
                self.stdout.write(f"    role proposed, not moved: {self._line(role_move)}")
        self.stdout.write(f"{len(moves)} former communes moved." if moves else "Nothing to move.")
        waiting = RoleMove.objects.filter(status=RoleMoveStatus.PROPOSED).count()
        if waiting:
            self.stdout.write(
                f"{waiting} role moves wait for a province administrator (/reorganization/roles/ or --list-roles); "
                "until then those roles give no rights on the merged communes."
            )

    def _acting(self, options) -> User:
        superusers = User.objects.filter(is_superuser=True, is_active=True)
        if options["acting"]:
            user = superusers.filter(username=options["acting"]).first()
            if user is None:
                raise CommandError(f"{options['acting']} is not an active superuser.")
            return user
        found = list(superusers.order_by("pk")[:2])
        if len(found) != 1:
            raise CommandError("Name the superuser who decides with --as USERNAME.")
        return found[0]

    def _decide(self, options) -> None:
        acting = self._acting(options)
        for ids, decide, verb in (
            (options["confirm"], role_move_confirm, "confirmed"),
            (options["refuse"], role_move_refuse, "refused"),
        ):
            for pk in ids:
                role_move = RoleMove.objects.filter(pk=pk).first()
                if role_move is None:
                    raise CommandError(f"No role move #{pk}.")
                try:
                    decide(role_move=role_move, acting_user=acting)
                except ValidationError as error:
                    raise CommandError(f"#{pk}: {' '.join(error.messages)}") from None
                self.stdout.write(f"#{pk} {verb}.")
        if options["confirm_non_widening"]:
            n = role_moves_confirm_non_widening(acting_user=acting)
            self.stdout.write(f"{n} role moves that widen no scope confirmed.")

    def _line(self, role_move: RoleMove) -> str:
        line = (
            f"#{role_move.pk} {role_move.user.username} · {role_move.role}: {role_move.from_area.name} "
            f"({role_move.from_area.code}) → {role_move.to_area.name} ({role_move.to_area.code})"
        )
        if role_move.widens:
            communes = role_move.also_covers.get("communes", [])
            total = role_move.also_covers.get("hamlets_total", 0)
            line += f" — WIDENS: also {'; '.join(communes) or '—'}" + (f"; {total} other hamlets" if total else "")
        return line

    def _list(self) -> None:
        waiting = RoleMove.objects.filter(status=RoleMoveStatus.PROPOSED).select_related("user", "from_area", "to_area")
        for role_move in waiting:
            self.stdout.write(self._line(role_move))
        self.stdout.write(f"{len(waiting)} role moves proposed." if waiting else "No role move is waiting.")
