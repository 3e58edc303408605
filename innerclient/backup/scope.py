"""Which rows belong to an organization, table by table.

Every model of the installation is either in ``TABLES`` (with the lookup from that model to
its organization) or in ``NOT_ARCHIVED`` (with the reason). A test fails when a new model is in
neither, so a table added later cannot silently stay out of the backups.

The order of ``TABLES`` is the order rows are restored in: parents before children. Foreign
keys are checked at commit on both databases, so the order matters for readability and for
the error a broken archive gives, not for correctness of a cycle such as a department's head.
"""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

# label_lower -> lookup from the model to its Organization ("pk" for the organization itself).
TABLES: dict[str, str] = {
    "core.organization": "pk",
    "org.department": "organization",
    "org.person": "organization",
    "core.membership": "organization",
    "org.interactionlink": "organization",
    "core.job": "organization",
    "org.dataimport": "organization",
    "surveys.criteriaset": "organization",
    "surveys.criterion": "criteria_set__organization",
    "surveys.openquestion": "criteria_set__organization",
    "surveys.cycle": "organization",
    "surveys.invitation": "cycle__organization",
    "surveys.assignment": "invitation__cycle__organization",
    "surveys.cycledepartmentcount": "cycle__organization",
    "surveys.response": "cycle__organization",
    "surveys.answer": "response__cycle__organization",
    "surveys.openanswer": "response__cycle__organization",
    "results.methodologysettings": "organization",
    "results.resultsnapshot": "cycle__organization",
    "reports.commentmoderation": "organization",
    "actions.actionplan": "organization",
    "appeals.appealsettings": "organization",
    "appeals.appeal": "organization",
    "appeals.bonusscheme": "organization",
    "regulation.regulationversion": "organization",
    "regulation.acknowledgment": "version__organization",
    "regulation.cardarchive": "organization",
    "api.apitoken": "organization",
    "core.auditentry": "organization",
}

# Accounts are global (one person may belong to several organizations): the archive carries
# the accounts its rows refer to, in a file of their own, and a restore matches them by name.
USERS = "auth.user"

NOT_ARCHIVED: dict[str, str] = {
    USERS: "accounts travel in users.jsonl, matched by user name on restore",
    "auth.group": "not used by the application",
    "auth.permission": "derived from the code by migrate",
    "contenttypes.contenttype": "derived from the code by migrate",
    "sessions.session": "sign-in sessions belong to the installation, not to the company",
    "axes.accessattempt": "sign-in attempts are not part of an organization's archive",
    "axes.accessattemptexpiration": "sign-in attempts are not part of an organization's archive",
    "axes.accessfailurelog": "sign-in attempts are not part of an organization's archive",
    "axes.accesslog": "sign-in attempts are not part of an organization's archive",
    "django_tasks_database.dbtaskresult": (
        "the task queue of this installation; queued work refers to its ids and keys"
    ),
    "ops.cacheentry": "a cache: rebuilt on demand",
    "ops.workerheartbeat": "liveness of this installation's workers",
    "ops.taskrecovery": "retries of this installation's task queue",
}


def archived_models() -> list[type[models.Model]]:
    return [apps.get_model(label) for label in TABLES]


def organization_rows(model: type[models.Model], organization_id: int) -> models.QuerySet:
    lookup = TABLES[model._meta.label_lower]
    return model._default_manager.filter(**{lookup: organization_id})


def user_fields(model: type[models.Model]) -> list[str]:
    """Names of the model's links to accounts (foreign keys and many-to-many), which a
    restore maps by user name."""
    user_model = get_user_model()
    return [
        field.name
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
        if field.is_relation and field.related_model is user_model
    ]


def unlisted_models() -> list[str]:
    """Models that are neither archived nor deliberately left out."""
    known = set(TABLES) | set(NOT_ARCHIVED)
    return sorted(
        model._meta.label_lower
        for model in apps.get_models()
        if model._meta.label_lower not in known
    )
