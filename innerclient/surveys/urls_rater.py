"""The rater's questionnaire (namespace ``rater``, mounted at ``/r/``): no account needed.

Only ``start`` carries the secret token; every other page is token-free and finds the rater
through the signed cookie that ``start`` sets (innerclient/surveys/views/rater.py).
"""

from django.urls import path

from innerclient.surveys.views import rater

urlpatterns = [
    path("", rater.home, name="home"),
    path("step/<int:number>/", rater.step, name="step"),
    path("step/<int:number>/autosave/", rater.autosave, name="autosave"),
    path("summary/", rater.summary, name="summary"),
    path("submit/", rater.submit, name="submit"),
    path("done/", rater.done, name="done"),
    path("<uuid:public_id>/<str:token>/", rater.start, name="start"),
]
