"""Placeholder: implemented by the feature owner."""

from django.http import HttpResponse


def map_matrix(request, org_slug, **kwargs):
    return HttpResponse("todo")


def map_cell(request, org_slug, **kwargs):
    return HttpResponse("todo")


def link_list(request, org_slug, **kwargs):
    return HttpResponse("todo")


def link_edit(request, org_slug, **kwargs):
    return HttpResponse("todo")


def map_export(request, org_slug, **kwargs):
    return HttpResponse("todo")
