import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0006_interview_answered"),
        ("studies", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="interview",
            name="study",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="interviews",
                to="studies.study",
            ),
        ),
        migrations.AlterField(
            model_name="interviewversion",
            name="study",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="studies.study",
            ),
        ),
    ]
