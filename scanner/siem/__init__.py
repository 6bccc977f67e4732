"""The SIEM feed (SPEC §2 job 3): every finding change once, every run's health once.

- :mod:`partner_nhi.siem.events` decides which finding changes make an event (pure) and
  builds the OCSF events: Detection Finding (2004) per change, Scan Activity (6007) per run.
- :mod:`partner_nhi.store.outbox` writes them to the outbox table in the same transaction
  as the history they describe, and keeps which sink acknowledged which event.
- :mod:`partner_nhi.siem.delivery` sends what each sink has not acknowledged, batch by
  batch under that sink's lock, with retries, and prunes what every sink acknowledged.
- :mod:`partner_nhi.siem.sinks` speaks to each kind of receiver: JSON Lines, Splunk HEC,
  a signed webhook, syslog (RFC 5424, octet-counted, over TCP or TLS).

Errors a sink raises (written out once here):

- :class:`~partner_nhi.siem.sinks.base.DeliveryFailed`  transient: retried with backoff,
  the events stay pending (a timeout, a dropped connection, 429/503, a 5xx)
- :class:`~partner_nhi.siem.sinks.base.SinkRejected`  the receiver refuses this configuration
  (a bad token, a bad request): not retried in this run, the events stay pending, exit 2
"""
