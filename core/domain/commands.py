"""What staff, citizens and the system ask the workflow to do, with each action's own data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.domain.enums import RejectReason


@dataclass(frozen=True, slots=True)
class ApproveModeration:
    organisation_id: int | None = None


@dataclass(frozen=True, slots=True)
class ChangeCategory:
    category_id: int
    subcategory_id: int
    organisation_id: int | None  # re-routed for the new subcategory; None keeps the current one
    fast_track: bool = False  # the new subcategory's fast-track in the message's region


@dataclass(frozen=True, slots=True)
class ChangeOrganisation:
    organisation_id: int


@dataclass(frozen=True, slots=True)
class Reject:
    reason: RejectReason
    comment: str = ""


@dataclass(frozen=True, slots=True)
class SendToExecution:
    executor_organisation_id: int
    executor_staff_id: int | None = None
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Redirect:
    organisation_id: int
    relation: str  # where the target sits relative to the current organisation
    reason: str


@dataclass(frozen=True, slots=True)
class ApproveRedirect:
    comment: str = ""


@dataclass(frozen=True, slots=True)
class DeclineRedirect:
    comment: str


@dataclass(frozen=True, slots=True)
class ReturnToModeration:
    reason: str


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReturnToCoordinator:
    reason: str


@dataclass(frozen=True, slots=True)
class Postpone:
    reason: str
    new_due_date: date


@dataclass(frozen=True, slots=True)
class SendToSed:
    reference: str = ""


@dataclass(frozen=True, slots=True)
class ReceiveSedAnswer:
    text: str
    reference: str = ""


@dataclass(frozen=True, slots=True)
class ApproveAnswer:
    comment: str = ""


@dataclass(frozen=True, slots=True)
class SendBackForRework:
    comment: str


@dataclass(frozen=True, slots=True)
class Rate:
    score: int
    comment: str = ""


@dataclass(frozen=True, slots=True)
class AutoClose:
    pass


Command = (
    ApproveModeration | ChangeCategory | ChangeOrganisation | Reject | SendToExecution
    | Redirect | ApproveRedirect | DeclineRedirect | ReturnToModeration | Answer
    | ReturnToCoordinator | Postpone | SendToSed | ReceiveSedAnswer | ApproveAnswer
    | SendBackForRework | Rate | AutoClose
)
