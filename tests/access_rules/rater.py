"""The rater's questionnaire lives outside organizations: a personal link, no account.

Its access is the link itself (tests/surveys/test_questionnaire.py checks bad links, missing
cookies and closed cycles); here the URL names are declared public so the matrix knows them.
"""

ORG_RULES: dict = {}

PUBLIC_URLS = {
    "rater:start",
    "rater:home",
    "rater:step",
    "rater:autosave",
    "rater:summary",
    "rater:submit",
    "rater:done",
}
