"""Dispatch: the request lifecycle, routing, offers, widening, completion, ledger and outbox.

The public interface (BRIEF.md, "core.dispatch") is re-exported here; import it as
`from core import dispatch` and call `dispatch.create_request(...)` and so on.
"""

from core.dispatch.accept import accept_offer, decline_offer
from core.dispatch.completion import (
    complete_request,
    give_feedback,
    mark_arrived,
    resolve_dispute,
    start_request,
)
from core.dispatch.coordination import cancel_request, reassign_request
from core.dispatch.detail import RequestDetail, get_request_detail
from core.dispatch.intake import confirm_request, create_request
from core.dispatch.ledger import (
    LedgerReport,
    VolunteerLedger,
    certificate_html,
    export_ledger_csv,
    star_level,
    verify_ledger,
    volunteer_ledger,
)
from core.dispatch.lifecycle import ALLOWED, TERMINAL, is_allowed
from core.dispatch.outbox import claim_notifications, mark_failed, mark_sent
from core.dispatch.pairs import start_pair_visit
from core.dispatch.worker import process_due, run_worker

__all__ = [
    "ALLOWED",
    "TERMINAL",
    "LedgerReport",
    "RequestDetail",
    "VolunteerLedger",
    "accept_offer",
    "cancel_request",
    "certificate_html",
    "claim_notifications",
    "complete_request",
    "confirm_request",
    "create_request",
    "decline_offer",
    "export_ledger_csv",
    "get_request_detail",
    "give_feedback",
    "is_allowed",
    "mark_arrived",
    "mark_failed",
    "mark_sent",
    "process_due",
    "reassign_request",
    "resolve_dispute",
    "run_worker",
    "star_level",
    "start_pair_visit",
    "start_request",
    "verify_ledger",
    "volunteer_ledger",
]
