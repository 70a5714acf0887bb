"""Lightwing domain: models, taxonomy, classifier, routing, lifecycle, ledger, outbox."""
