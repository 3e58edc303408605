"""A self-assessment gets a rater key of its own (``tokens.self_rater_key``), so that the head's
self-assessment shares no key with his ratings of other departments.

Open cycles: the new key is recomputed from the invitation, so that the head's link still finds
his draft or submitted self-assessment. Closed and published cycles: nobody answers any more,
so the key is replaced by a random value that leads nowhere.
"""

import secrets

from django.db import migrations


def forwards(apps, schema_editor):
    from innerclient.surveys.tokens import link_token, rater_key, self_rater_key

    Assignment = apps.get_model("surveys", "Assignment")
    Response = apps.get_model("surveys", "Response")
    own = Assignment.objects.filter(kind="self", invitation__cycle__status="open").values_list(
        "invitation__cycle_id", "invitation__public_id", "provider_id"
    )
    for cycle_id, public_id, provider_id in own.iterator():
        token = link_token(str(public_id))
        Response.objects.filter(
            cycle_id=cycle_id, rater_key=rater_key(token), provider_id=provider_id
        ).update(rater_key=self_rater_key(token))
    finished = Response.objects.filter(
        rater_kind="self", cycle__status__in=["closed", "published"]
    ).values_list("pk", flat=True)
    for pk in finished.iterator():
        Response.objects.filter(pk=pk).update(rater_key=secrets.token_hex(32))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_response_kind_client_or_self")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
