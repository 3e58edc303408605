"""URLs of innerclient.reports (namespace ``org``, under /o/<slug>/)."""

from django.urls import path

from innerclient.reports import views

urlpatterns = [
    path("cycles/<int:pk>/dashboard/", views.results_dashboard, name="results_dashboard"),
    path("cycles/<int:pk>/dashboard/export/", views.dashboard_export, name="dashboard_export"),
    path(
        "cycles/<int:pk>/card/<int:department_pk>/", views.department_card, name="department_card"
    ),
    path("cycles/<int:pk>/card/<int:department_pk>/export/", views.card_export, name="card_export"),
    path("card/", views.my_card, name="my_card"),
    path("cycles/<int:pk>/comments/hide/", views.comment_hide, name="comment_hide"),
    path("comments/<int:moderation_pk>/restore/", views.comment_restore, name="comment_restore"),
]
