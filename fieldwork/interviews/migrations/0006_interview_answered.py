from django.db import migrations, models

REVIEWER_ROLES = ("supervisor", "study_admin")


def mark_answered(apps, schema_editor):
    """ "Has issues" interviews whose latest review event is the field researcher's comment."""
    interview_model = apps.get_model("interviews", "Interview")
    event_model = apps.get_model("interviews", "ReviewEvent")
    membership_model = apps.get_model("accounts", "Membership")
    for interview in interview_model.objects.filter(status="has_issues").iterator():
        latest = (
            event_model.objects.filter(interview_id=interview.pk)
            .order_by("-created_at", "-id")
            .first()
        )
        if latest is None or latest.from_status != latest.to_status or not latest.comment:
            continue
        reviewer = membership_model.objects.filter(
            study_id=interview.study_id, user_id=latest.by_id, role__in=REVIEWER_ROLES
        ).exists()
        if not reviewer:
            interview_model.objects.filter(pk=interview.pk).update(answered=True)


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0005_conflict_interview"),
    ]

    operations = [
        migrations.AddField(
            model_name="interview",
            name="answered",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark_answered, migrations.RunPython.noop),
    ]
