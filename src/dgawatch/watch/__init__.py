"""Registration watch: are the forecast names of the coming days free, held by their
registry, sinkholed, or registered by someone else, and since when?

``dgawatch watch check`` / ``serve`` / ``report``; functions for other parts of dgawatch
(exports withholding collisions, the portal's page) are re-exported here.
"""

from dgawatch.watch.evidence import STATES
from dgawatch.watch.report import alert_rows, collision_names, history_rows, report_rows

__all__ = ["STATES", "alert_rows", "collision_names", "history_rows", "report_rows"]
