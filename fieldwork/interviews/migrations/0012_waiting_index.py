"""What waits for a reviewer, in the queue's order, as a partial index (models.WAITING)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0011_state_counts_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="interview",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ("received", "edited")), ("answered", True), _connector="OR"
                ),
                fields=["study", "-created_at", "-id"],
                name="interview_waiting",
            ),
        ),
    ]
