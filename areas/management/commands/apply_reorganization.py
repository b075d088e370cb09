from django.core.management.base import BaseCommand

from areas.reorganization import apply_reorganization


class Command(BaseCommand):
    help = "Move hamlets (with their teams, households and visits) from former communes to their successors."

    def handle(self, *args, **options):
        moves = apply_reorganization()
        for move in moves:
            records = ", ".join(f"{label}: {n}" for label, n in sorted(move.records.items()))
            self.stdout.write(
                f"{move.old.name} ({move.old.code}) → {move.new.name} ({move.new.code}): "
                f"{len(move.hamlets)} hamlets" + (f"; {records}" if records else "")
            )
            for before, after in move.renamed:
                self.stdout.write(f"    renamed “{before}” → “{after}” (name already used in {move.new.name})")
        self.stdout.write(f"{len(moves)} former communes moved." if moves else "Nothing to move.")
