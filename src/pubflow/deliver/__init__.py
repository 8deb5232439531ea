"""Delivery: subscribers, sending each issue exactly once, and one-click unsubscribe.

- :mod:`~pubflow.deliver.subscribers`: the SQLite store (subscribers + delivery log schema);
- :mod:`~pubflow.deliver.subscriber_csv`: CSV import (validated, idempotent) and export;
- :mod:`~pubflow.deliver.tokens`: HMAC-signed unsubscribe tokens and the list secret;
- :mod:`~pubflow.deliver.message`: the built ``email.eml`` files and per-recipient copies;
- :mod:`~pubflow.deliver.smtp`: smtplib transport with TLS and classified failures;
- :mod:`~pubflow.deliver.deliveries`: the exactly-once delivery log;
- :mod:`~pubflow.deliver.send`: planning (dry run) and sending a batch;
- :mod:`~pubflow.deliver.unsubscribe`: the Starlette one-click unsubscribe app;
- :mod:`~pubflow.deliver.links`: the token placeholder shared with the newsletter build.
"""
