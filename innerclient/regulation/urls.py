"""URLs of innerclient.regulation (namespace ``org``, under /o/<slug>/): the Regulation and
the PDFs of department cards and the company report."""

from django.urls import path

from innerclient.regulation import print_views, views

urlpatterns = [
    path("regulation/", views.regulation, name="regulation"),
    path("regulation/publish/", views.regulation_publish, name="regulation_publish"),
    path("regulation/<int:version>/", views.regulation_version, name="regulation_version"),
    path("regulation/<int:version>/pdf/", views.regulation_pdf, name="regulation_pdf"),
    path(
        "regulation/<int:version>/acknowledge/",
        views.regulation_acknowledge,
        name="regulation_acknowledge",
    ),
]

urlpatterns += [
    path("cycles/<int:pk>/card/<int:department_pk>/pdf/", print_views.card_pdf, name="card_pdf"),
    path("cycles/<int:pk>/report.pdf", print_views.company_pdf, name="company_pdf"),
    path("cycles/<int:pk>/cards/", print_views.cards_bulk, name="cards_bulk"),
    path(
        "cycles/<int:pk>/cards/<int:archive_pk>/status/",
        print_views.cards_bulk_status,
        name="cards_bulk_status",
    ),
    path(
        "cycles/<int:pk>/cards/<int:archive_pk>/download/",
        print_views.cards_bulk_download,
        name="cards_bulk_download",
    ),
]
