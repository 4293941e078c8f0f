"""Interview content sealed at rest (see 0009): the columns that will hold it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0007_study_indexes_in_composites"),
    ]

    operations = [
        migrations.AddField(
            model_name="interviewversion",
            name="payload_ciphertext",
            field=models.BinaryField(null=True),
        ),
        migrations.AddField(
            model_name="interviewversion",
            name="payload_wrapped_key",
            field=models.BinaryField(null=True),
        ),
        migrations.AddField(
            model_name="interviewversion",
            name="payload_key_id",
            field=models.CharField(default="", max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="interviewversion",
            name="payload_size",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="interviewversion",
            name="problem_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="submissionconflict",
            name="payload_ciphertext",
            field=models.BinaryField(null=True),
        ),
        migrations.AddField(
            model_name="submissionconflict",
            name="payload_wrapped_key",
            field=models.BinaryField(null=True),
        ),
        migrations.AddField(
            model_name="submissionconflict",
            name="payload_key_id",
            field=models.CharField(default="", max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="submissionconflict",
            name="payload_size",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
    ]
