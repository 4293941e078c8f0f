from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. What they may do is decided per study by `Membership`."""

    language = models.CharField(
        _("language"), max_length=8, default="fr", choices=[("fr", "Français"), ("en", "English")]
    )

    def __str__(self) -> str:
        return self.username


class Role(models.TextChoices):
    FIELD_RESEARCHER = "field_researcher", _("Field researcher")
    CODER = "coder", _("Coder")
    SUPERVISOR = "supervisor", _("Supervisor")
    ANALYST = "analyst", _("Analyst")
    STUDY_ADMIN = "study_admin", _("Study admin")


class Membership(models.Model):
    """A user's one role in one study. No row, no access."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    study = models.ForeignKey("studies.Study", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "study"], name="membership_one_role_per_study"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]
        ordering = ["study_id", "user__username"]

    def __str__(self) -> str:
        return f"membership {self.pk} ({self.role})"
