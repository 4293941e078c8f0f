import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fieldwork.accounts.models import Role
from fieldwork.core.errors import ServiceError
from fieldwork.studies.demo import demo_load


@contextmanager
def _quiet(logger_name: str, *, when: bool):
    """Hold back a logger's INFO lines (one per source created) so the logins table stands out."""
    logger = logging.getLogger(logger_name)
    previous = logger.level
    if when:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


class Command(BaseCommand):
    help = (
        "Load two demo studies (central Mali, diaspora) with fictitious sources and one demo "
        "account per role. Safe to run again: what exists is left as it is."
    )

    def handle(self, *args, verbosity, **options):
        try:
            with _quiet("fieldwork", when=verbosity < 2):
                result = demo_load(stdout=self.stdout.write)
        except ServiceError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

        for study in result.studies:
            # Counts as "label: n" so that no plural form is needed.
            if study.created:
                line = _(
                    "%(slug)s: created (places: %(places)s, actors: %(actors)s, "
                    "sources: %(sources)s)."
                )
            else:
                line = _(
                    "%(slug)s: already there (places: %(places)s, actors: %(actors)s, "
                    "sources: %(sources)s)."
                )
            values = {
                "slug": study.slug,
                "places": study.places,
                "actors": study.actors,
                "sources": study.sources,
            }
            style = self.style.SUCCESS if study.created else self.style.WARNING
            self.stdout.write(style(line % values))

        rows = [(_("Role"), _("Username"), _("Password"))]
        rows += [
            (str(Role(login.role).label), login.username, login.password) for login in result.logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("")
        self.stdout.write(_("Demo logins (the same in both studies):"))
        for i, row in enumerate(rows):
            self.stdout.write(
                ("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip()
            )
            if i == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))
        self.stdout.write("")
        self.stdout.write(
            _("Open %(url)s (run “python manage.py runserver” first) and sign in with one of them.")
            % {"url": result.url}
        )
