"""Interview content sealed at rest: each version's body as received and its answers (with
what the check found in them), and each refused body. Rows stored before are sealed here,
with the master key the app is configured with; decrypted answers sealed under the row's
primary key are sealed again under its instanceID."""

import json

from django.db import migrations


def _seal_existing(apps, schema_editor):
    from fieldwork.sources.blobs import open_blob, seal_blob

    version_model = apps.get_model("interviews", "InterviewVersion")
    for version in version_model.objects.order_by("pk").iterator(chunk_size=200):
        payload = bytes(version.raw_payload)
        sealed = seal_blob(
            data=payload,
            context=f"payload|{version.study_id}|{version.instance_id}".encode(),
        )
        version.payload_ciphertext = sealed.ciphertext
        version.payload_wrapped_key = sealed.wrapped_key
        version.payload_key_id = sealed.key_id
        version.payload_size = len(payload)
        problems = list(version.problems or [])
        if version.answers_ciphertext is not None:  # decrypted: sealed under its pk
            document = json.loads(
                open_blob(
                    ciphertext=version.answers_ciphertext,
                    wrapped_key=version.answers_wrapped_key,
                    key_id=version.answers_key_id,
                    context=f"answers|{version.pk}".encode(),
                )
            )
        elif version.payload_format == "openrosa_encrypted":
            document = None  # still encrypted: no answers yet
        else:
            # Stored problems mixed notes and findings that quote answers: all sealed.
            document = {"answers": version.answers, "problems": problems}
            problems = []
        if document is not None:
            answers = seal_blob(
                data=json.dumps(document, ensure_ascii=False).encode(),
                context=f"answers|{version.study_id}|{version.instance_id}".encode(),
            )
            version.answers_ciphertext = answers.ciphertext
            version.answers_wrapped_key = answers.wrapped_key
            version.answers_key_id = answers.key_id
        version.problems = problems
        version.problem_count = len(problems) + len(document["problems"] if document else [])
        version.save_base(raw=True, force_update=True)

    conflict_model = apps.get_model("interviews", "SubmissionConflict")
    for conflict in conflict_model.objects.order_by("pk").iterator(chunk_size=200):
        sealed = seal_blob(
            data=bytes(conflict.raw_payload),
            context=(
                f"conflict|{conflict.study_id}|{conflict.instance_id}|{conflict.payload_sha256}"
            ).encode(),
        )
        conflict.payload_ciphertext = sealed.ciphertext
        conflict.payload_wrapped_key = sealed.wrapped_key
        conflict.payload_key_id = sealed.key_id
        conflict.payload_size = len(conflict.raw_payload)
        conflict.save_base(raw=True, force_update=True)


class Migration(migrations.Migration):
    dependencies = [
        ("interviews", "0008_sealed_content_columns"),
    ]

    operations = [
        migrations.RunPython(_seal_existing, migrations.RunPython.noop),
    ]
