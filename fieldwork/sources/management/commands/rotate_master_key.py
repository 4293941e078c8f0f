from django.core.management.base import BaseCommand, CommandError

from fieldwork.sources.keys import reset_keyring
from fieldwork.sources.rotation import RotationError, rotate_master_key


class Command(BaseCommand):
    help = (
        "Re-wrap every source's data key under a new master key, without re-encrypting "
        "identities. Safe to interrupt: run it again and it continues where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Sources re-wrapped per transaction."
        )
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="Stop after this many batches (to spread a rotation over several runs).",
        )

    def handle(self, *args, batch_size, max_batches, **options):
        reset_keyring()
        try:
            result = rotate_master_key(
                batch_size=batch_size, max_batches=max_batches, progress=self.stdout.write
            )
        except RotationError as exc:
            raise CommandError(str(exc)) from exc
        if result.finished:
            self.stdout.write(self.style.SUCCESS(result.message))
        else:
            self.stdout.write(self.style.WARNING(result.message))
