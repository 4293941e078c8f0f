import django.db.models.deletion
from django.db import migrations, models


def link_kept_conflicts(apps, schema_editor):
    """Conflicts kept before the link: the interview whose version has their instanceID."""
    conflict_model = apps.get_model("interviews", "SubmissionConflict")
    version_model = apps.get_model("interviews", "InterviewVersion")
    for conflict in conflict_model.objects.filter(interview__isnull=True).iterator():
        version = version_model.objects.filter(
            study_id=conflict.study_id, instance_id=conflict.instance_id
        ).first()
        if version is not None:
            conflict.interview_id = version.interview_id
            conflict.save(update_fields=["interview"])


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0004_sealed_decrypted_answers"),
    ]

    operations = [
        migrations.AddField(
            model_name="submissionconflict",
            name="interview",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="conflicts",
                to="interviews.interview",
            ),
        ),
        migrations.RunPython(link_kept_conflicts, migrations.RunPython.noop),
    ]
