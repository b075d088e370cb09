"""``manage.py generate_demo --scale small|province|nation [--seed N]``: docs/TARGETS.md's data sets."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo import plan, services


class Command(BaseCommand):
    help = (
        "Generate a deterministic demo data set on the legacy units of the former Long An province (code 80): "
        "hamlets, one team per hamlet, rosters, households and two years of visits. small = one district "
        "(~30 hamlets, ~5,000 households, ~30,000 visits); province = ~1,100 hamlets, ~450,000 households, "
        "~2.5 million visits; nation = the province × --factor (10), on the legacy communes of further provinces "
        "(import them first: import_admin_units --structure legacy). The same --seed gives the same data. "
        "Refuses when a generated data set exists, unless --reset (which deletes it first). Everything is written "
        "in one transaction with PostgreSQL COPY; the audit (django-pghistory) triggers are skipped for it, so the "
        "generated rows have no audit events. Not for production databases."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(plan.SCALES), required=True)
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--reset", action="store_true", help="delete the previously generated data set first (any scale)"
        )
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing (and succeed) when a generated data set already exists — for `make run`",
        )
        parser.add_argument(
            "--factor",
            type=float,
            default=None,
            help="nation only: how many provinces' worth of communes (default 10; e.g. 1.5 for a quick test)",
        )
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=None,
            help="last day of the two years of visits, YYYY-MM-DD (default today)",
        )

    def handle(self, *args, scale, seed, reset, factor, end, if_missing=False, **options):
        if if_missing and not reset and plan.existing_sets():
            self.stdout.write("A generated demo data set is already there; nothing to do.")
            return
        if factor is not None and scale != "nation":
            raise CommandError("--factor applies to --scale nation only.")
        if factor is not None and factor <= 0:
            raise CommandError("--factor must be positive.")
        today = timezone.localdate()
        end = end or today
        if end > today:
            raise CommandError("--end cannot be in the future (visits never are).")
        self.stdout.write(f"Generating the {scale} data set (seed {seed}, visits until {end:%d/%m/%Y})…")
        try:
            result = services.demo_generate(
                scale=scale, seed=seed, end=end, factor=factor, reset=reset, log=self.stdout.write
            )
        except plan.DemoError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{name}: {n:,}" for name, n in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Done in {result.seconds:.1f} s — {counts}."))
