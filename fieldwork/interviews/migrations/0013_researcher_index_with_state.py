"""A field researcher's index carries each interview's state, so that her per-state counts
read the index alone (PostgreSQL; other databases ignore INCLUDE)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0012_waiting_index"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="interview", name="interview_by_researcher"),
        migrations.AddIndex(
            model_name="interview",
            index=models.Index(
                fields=["study", "researcher", "-created_at", "-id"],
                include=("status", "answered"),
                name="interview_by_researcher",
            ),
        ),
    ]
