"""Placeholder: implemented by the feature owner."""

from django.http import HttpResponse


def import_list(request, org_slug, **kwargs):
    return HttpResponse("todo")


def import_upload(request, org_slug, **kwargs):
    return HttpResponse("todo")


def import_template(request, org_slug, **kwargs):
    return HttpResponse("todo")


def import_detail(request, org_slug, **kwargs):
    return HttpResponse("todo")


def import_mapping(request, org_slug, **kwargs):
    return HttpResponse("todo")


def import_apply(request, org_slug, **kwargs):
    return HttpResponse("todo")


def import_cancel(request, org_slug, **kwargs):
    return HttpResponse("todo")


def import_status(request, org_slug, **kwargs):
    return HttpResponse("todo")
