"""etl-activity: daily steps and active calories from Health Connect exports.

The hook module is :mod:`etl_activity.plugin`; everything else is pure functions:
:mod:`~etl_activity.source_rule` (which app stands for a day), :mod:`~etl_activity.daily`
(local-day totals), :mod:`~etl_activity.metrics` (means, trend, step ranges),
:mod:`~etl_activity.insights` and :mod:`~etl_activity.narrative`.
"""

__version__ = "0.1.0"
