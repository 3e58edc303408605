"""Pure scoring methodology of the Internal Client system.

Plain numpy/scipy functions over arrays, returning frozen dataclasses. Nothing here imports
Django: selectors turn a closed cycle's responses into arrays, these functions turn arrays into
figures, and services store the figures. Each function's docstring states its formula, so the
methodology page can quote the same text that the code implements.

Modules:

- ``cells``: per-cell statistics (n, mean, top-two share, percent of scale, sd, 95% CI).
- ``index``: the department index 0-100 from weighted criteria and an aggregation mode.
- ``adjust``: the additive (leniency-adjusted) model score = mean + ratee + rater + error.
- ``srm``: the Social Relations Model decomposition of a department round robin.
- ``reliability``: ICC (Shrout & Fleiss), Krippendorff's alpha, Cronbach's alpha.
- ``change``: Welch and Brunner-Munzel comparisons, Benjamini-Hochberg, OLS trend.
- ``privacy``: anonymity thresholds and complementary suppression.
- ``integrity``: mutual inflation (SRM relationship effects), straight-lining, speeders.
- ``problems``: ranked problem areas (low cell, drop, weakest criterion, self gap, divergence).
"""
