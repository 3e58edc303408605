"""Placeholder: implemented by the feature owner."""

from django.http import HttpResponse


def department_tree(request, org_slug, **kwargs):
    return HttpResponse("todo")


def department_detail(request, org_slug, **kwargs):
    return HttpResponse("todo")


def department_set_active_view(request, org_slug, **kwargs):
    return HttpResponse("todo")


def person_list(request, org_slug, **kwargs):
    return HttpResponse("todo")


def person_set_active_view(request, org_slug, **kwargs):
    return HttpResponse("todo")
