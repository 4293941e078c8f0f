import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlaceScheme(models.TextChoices):
    """How a study's places nest: administrative Mali, or country > city for diasporas."""

    MALI = "mali", _("Region > cercle > commune > village")
    DIASPORA = "diaspora", _("Country > city")


class PlaceLevel(models.TextChoices):
    REGION = "region", _("Region")
    CERCLE = "cercle", _("Cercle")
    COMMUNE = "commune", _("Commune")
    VILLAGE = "village", _("Village")
    COUNTRY = "country", _("Country")
    CITY = "city", _("City")


#: Levels of each scheme, outermost first. A place's parent is one level up.
SCHEME_LEVELS: dict[str, tuple[str, ...]] = {
    PlaceScheme.MALI: (
        PlaceLevel.REGION,
        PlaceLevel.CERCLE,
        PlaceLevel.COMMUNE,
        PlaceLevel.VILLAGE,
    ),
    PlaceScheme.DIASPORA: (PlaceLevel.COUNTRY, PlaceLevel.CITY),
}


class Study(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place_scheme = models.CharField(
        _("place hierarchy"), max_length=16, choices=PlaceScheme.choices, default=PlaceScheme.MALI
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.slug

    @property
    def place_levels(self) -> tuple[str, ...]:
        return SCHEME_LEVELS[self.place_scheme]


class Place(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="places")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    level = models.CharField(_("level"), max_length=16, choices=PlaceLevel.choices)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "parent", "name"], name="place_unique_name_under_parent"
            ),
            models.UniqueConstraint(
                fields=["study", "name"],
                condition=models.Q(parent__isnull=True),
                name="place_unique_top_level_name",
            ),
        ]
        indexes = [models.Index(fields=["study", "level"], name="place_study_level")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        levels = SCHEME_LEVELS[self.study.place_scheme]
        if self.level not in levels:
            raise ValidationError(
                {
                    "level": _("This study's places do not have the level “%(level)s”.")
                    % {"level": self.get_level_display()}
                }
            )
        depth = levels.index(self.level)
        if depth == 0:
            if self.parent_id is not None:
                raise ValidationError(
                    {
                        "parent": _("A %(level)s is at the top of the hierarchy and has no parent.")
                        % {"level": self.get_level_display()}
                    }
                )
            return
        expected = levels[depth - 1]
        if (
            self.parent is None
            or self.parent.level != expected
            or self.parent.study_id != self.study_id
        ):
            raise ValidationError(
                {
                    "parent": _("A %(level)s must be placed inside a %(parent)s of this study.")
                    % {"level": self.get_level_display(), "parent": PlaceLevel(expected).label}
                }
            )

    def path(self) -> list["Place"]:
        """Ancestors outermost first, then this place."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class ActorKind(models.TextChoices):
    STATE_FORCE = "state_force", _("State force")
    MILITIA = "militia", _("Self-defence militia")
    JIHADIST = "jihadist", _("Jihadist group")
    FOREIGN_FORCE = "foreign_force", _("Foreign force")
    POLICE_INTELLIGENCE = "police_intelligence", _("Police or intelligence service")
    OTHER = "other", _("Other")


class Actor(models.Model):
    """An armed or security actor that interviews speak about."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="actors")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=ActorKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="branches",
        verbose_name=_("parent faction"),
    )
    description = models.TextField(_("description"), blank=True)
    active_areas = models.ManyToManyField(
        Place, blank=True, related_name="actors", verbose_name=_("active areas")
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="actor_unique_name_in_study")
        ]

    def __str__(self) -> str:
        return self.name


class ActorAlias(models.Model):
    """Another name for an actor, in a language ("Donso" in Bambara, "chasseurs" in French)."""

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("alias"), max_length=200)
    language = models.CharField(_("language"), max_length=16, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["actor", "name", "language"], name="alias_unique")
        ]

    def __str__(self) -> str:
        return self.name
