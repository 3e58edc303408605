"""Deploy checks of our own (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from innerclient.ops import keys


@register(Tags.security, deploy=True)
def rater_keys_check(app_configs, **kwargs):
    """The rater keys must be secrets of their own, set in the environment (docs/anonymity.md).

    With DJANGO_DEBUG off the settings already refuse to start on the errors below; the check
    reports them wherever else ``check --deploy`` runs, and warns while the keys are the ones
    generated for a laptop into the data folder, next to the database.
    """
    problems = keys.key_problems(
        {
            keys.SECRET: settings.SECRET_KEY,
            keys.LINK: settings.INNERCLIENT_LINK_KEY,
            keys.RATER: settings.INNERCLIENT_RATER_KEY,
        }
    )
    messages = []
    if problems:
        messages.append(Error(" ".join(problems), hint=keys.HINT, id="innerclient.E001"))
    generated = [
        name
        for name in getattr(settings, "INNERCLIENT_KEYS_FROM_FILE", [])
        if name in (keys.LINK, keys.RATER)
    ]
    if generated:
        messages.append(
            Warning(
                f"{' and '.join(generated)} come from {settings.INNERCLIENT_KEYS_FILE}, "
                "generated for a laptop: whoever copies the data folder holds both the keys "
                "and the database, and so can join every answer to its person.",
                hint="In production set them in the environment, away from database backups "
                "(docs/deploy.md).",
                id="innerclient.W001",
            )
        )
    return messages
