"""Placeholder: implemented by the feature owner."""

from django.http import HttpResponse


def member_list(request, org_slug, **kwargs):
    return HttpResponse("todo")


def member_edit(request, org_slug, **kwargs):
    return HttpResponse("todo")
