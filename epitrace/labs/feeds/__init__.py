"""Lab feeds: the scheduled drop-folder pull and the watch on every feed.

Design:

* Every channel a lab report arrives through is a :class:`~epitrace.labs.models.LabFeed`
  (drop folder, MLLP, API, file import). :func:`~epitrace.labs.feeds.arrivals.record_arrival`
  moves its ``last_received_at``; it is cheap enough to call per message
  (one indexed read, and at most one write a minute per feed, so concurrent
  importers never queue on the feed row).
* :func:`~epitrace.labs.feeds.dropfolder.pull_drop_folder` imports the files of
  ``inbox/`` and files each away only after its messages have committed.
  A pull killed half-way leaves the file in the inbox; the next pull imports
  it again and the pipeline's idempotency keys make the re-run exact.
* :func:`~epitrace.labs.feeds.monitor.check_feeds` (every 15 minutes) raises an
  alert for a watched feed silent longer than its interval: one e-mail per
  outage, and a banner for the state's administrators until the feed
  delivers again, when a "resumed" e-mail goes out. The e-mail and the alert
  are claimed with conditional updates, so two checkers never send twice.

Watched feeds: the drop folder once it has delivered, or from the start when
``EPITRACE_DROP_FOLDER`` is set explicitly (someone configured a lab to
deliver there); MLLP once it has delivered. A fresh installation that never
uses a feed is never alerted about it. API and file imports are recorded
but not watched: they follow people's schedules, not a feed's.
"""
