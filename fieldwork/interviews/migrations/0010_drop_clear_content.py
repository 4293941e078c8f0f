"""Interview content sealed at rest (see 0009): the clear columns go."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0009_seal_content"),
    ]

    operations = [
        migrations.RemoveField(model_name="interviewversion", name="raw_payload"),
        migrations.RemoveField(model_name="interviewversion", name="answers"),
        migrations.RemoveField(model_name="submissionconflict", name="raw_payload"),
        migrations.AlterField(
            model_name="interviewversion",
            name="payload_ciphertext",
            field=models.BinaryField(),
        ),
        migrations.AlterField(
            model_name="interviewversion",
            name="payload_wrapped_key",
            field=models.BinaryField(),
        ),
        migrations.AlterField(
            model_name="submissionconflict",
            name="payload_ciphertext",
            field=models.BinaryField(),
        ),
        migrations.AlterField(
            model_name="submissionconflict",
            name="payload_wrapped_key",
            field=models.BinaryField(),
        ),
    ]
