"""The flows, registered by (flow, step) and by global button action."""

from __future__ import annotations

from core.conversations.flows import (
    file_message,
    linking,
    menu,
    my_messages,
    onboarding,
    rating,
)
from core.conversations.flows.common import GlobalHandler
from core.conversations.turn import Step

_MODULES = (onboarding, menu, file_message, my_messages, rating, linking)

STEPS: dict[tuple[str, str], Step] = {
    (step.flow, step.name): step for module in _MODULES for step in module.STEPS}
GLOBAL: dict[str, GlobalHandler] = {
    action: handler for module in _MODULES for action, handler in module.GLOBAL.items()}
# Buttons that work before consent (everything else needs it).
BEFORE_CONSENT = frozenset({"help", "noop", "stay"})
