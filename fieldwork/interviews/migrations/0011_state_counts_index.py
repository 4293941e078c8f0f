"""The queue's per-state counts read an index of (study, status, answered) alone."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0010_drop_clear_content"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="interview",
            index=models.Index(
                fields=["study", "status", "answered"], name="interview_state_counts"
            ),
        ),
    ]
