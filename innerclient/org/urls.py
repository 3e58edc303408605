"""The organization's own pages under /o/<org_slug>/ (namespace ``org``; the other apps' pages
there are listed beside these in innerclient/urls.py). Each view resolves the organization
through org_access."""

from django.urls import path

from innerclient.core import views as core_views
from innerclient.org.views import imports, interaction_map, members, overview, structure

urlpatterns = [
    path("", overview.org_home, name="home"),
    path("audit/", core_views.audit_log, name="audit_log"),
    # Members and roles
    path("members/", members.member_list, name="member_list"),
    path("members/<int:pk>/", members.member_edit, name="member_edit"),
    # Structure
    path("structure/", structure.department_tree, name="department_tree"),
    path("departments/<int:pk>/", structure.department_detail, name="department_detail"),
    path(
        "departments/<int:pk>/active/",
        structure.department_set_active_view,
        name="department_set_active",
    ),
    path("people/", structure.person_list, name="person_list"),
    path("people/<int:pk>/active/", structure.person_set_active_view, name="person_set_active"),
    # Imports (departments, people, request log)
    path("imports/", imports.import_list, name="import_list"),
    path("imports/new/<str:kind>/", imports.import_upload, name="import_upload"),
    path("imports/template/<str:kind>.xlsx", imports.import_template, name="import_template"),
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/mapping/", imports.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/apply/", imports.import_apply, name="import_apply"),
    path("imports/<int:pk>/cancel/", imports.import_cancel, name="import_cancel"),
    path("imports/<int:pk>/status/", imports.import_status, name="import_status"),
    # Interaction map
    path("map/", interaction_map.map_matrix, name="map_matrix"),
    path("map/cell/<int:client_pk>/<int:provider_pk>/", interaction_map.map_cell, name="map_cell"),
    path("map/links/", interaction_map.link_list, name="link_list"),
    path("map/links/<int:pk>/", interaction_map.link_edit, name="link_edit"),
    path("map/export.xlsx", interaction_map.map_export, name="map_export"),
]
