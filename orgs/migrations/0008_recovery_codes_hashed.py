"""Recovery codes stored as keyed hashes: the plain codes already in the table are replaced
by their hash (the same function as orgs.signin.recovery_code_digest, written out here so
this migration keeps working whatever that module becomes)."""

from django.conf import settings
from django.db import migrations
from django.utils.crypto import salted_hmac

HEX = set("0123456789abcdef")


def _digest(user_id: int, code: str) -> str:
    value = f"{user_id}:{''.join(ch for ch in code if ch.isalnum()).lower()}"
    mac = salted_hmac(
        "chorus.orgs.recovery-code", value, secret=settings.SECRET_KEY, algorithm="sha256"
    )
    return mac.hexdigest()[:16]


def hash_plain_codes(apps, schema_editor):
    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.select_related("device").iterator():
        if len(token.token) == 16 and set(token.token) <= HEX:
            continue
        token.token = _digest(token.device.user_id, token.token)
        token.save(update_fields=["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0007_api_audit_actions"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(hash_plain_codes, migrations.RunPython.noop)]
