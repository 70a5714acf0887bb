"""The transport-neutral conversation: the bot and the web chat both call handle()."""

from core.dialog.engine import handle, handle_turn
from core.dialog.types import Incoming, Reply, ReplyButton, Turn, UserRef

__all__ = ["Incoming", "Reply", "ReplyButton", "Turn", "UserRef", "handle", "handle_turn"]
