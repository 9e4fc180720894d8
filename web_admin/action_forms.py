"""Turn a submitted action form into the workflow command it asks for."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date

from core.domain import commands as c
from core.domain.enums import Action, RejectReason
from core.domain.errors import ValidationError

Form = Mapping[str, str]
MAX_ID = 2**31 - 1  # directory ids are 32-bit; a bigger number names nothing
MAX_MESSAGE_ID = 2**63 - 1


def _text(form: Form, name: str) -> str:
    return (form.get(name) or "").strip()


def _id(form: Form, name: str, what: str, *, required: bool = True) -> int | None:
    raw = _text(form, name)
    if not raw:
        if required:
            raise ValidationError(f"Выберите {what}", field=name)
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 0 < value <= MAX_ID:
        raise ValidationError(f"Выберите {what} из списка", field=name)
    return value


def _required_id(form: Form, name: str, what: str) -> int:
    value = _id(form, name, what)
    assert value is not None
    return value


def parse_date(value: str) -> date | None:
    """A date from a date field (ISO) or typed by hand (ДД.ММ.ГГГГ); None if it is neither."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        if found := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", value):
            day, month, year = map(int, found.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def _date(form: Form, name: str) -> date:
    found = parse_date(_text(form, name))
    if found is None:
        raise ValidationError("Укажите новый срок — дату в формате ДД.ММ.ГГГГ", field=name)
    return found


def _reject(form: Form) -> c.Reject:
    try:
        reason = RejectReason(_text(form, "reason"))
    except ValueError:
        raise ValidationError("Выберите причину отклонения", field="reason") from None
    return c.Reject(reason, _text(form, "comment"))


def _change_category(form: Form) -> c.ChangeCategory:
    # The category, routing and fast-track follow from the subcategory (core fills them in).
    return c.ChangeCategory(category_id=0, organisation_id=None,
                            subcategory_id=_required_id(form, "subcategory_id", "подкатегорию"))


def _redirect(form: Form) -> c.Redirect:
    # The relation (and so redirect or request) is decided by core from the organisation tree.
    return c.Redirect(_required_id(form, "organisation_id", "организацию"), "subordinate",
                      _text(form, "reason"))


BUILDERS: dict[Action, Callable[[Form, tuple[str, ...]], c.Command]] = {
    Action.APPROVE_MODERATION: lambda f, _: c.ApproveModeration(
        _id(f, "organisation_id", "организацию", required=False)),
    Action.CHANGE_CATEGORY: lambda f, _: _change_category(f),
    Action.CHANGE_ORGANISATION: lambda f, _: c.ChangeOrganisation(
        _required_id(f, "organisation_id", "организацию")),
    Action.REJECT: lambda f, _: _reject(f),
    Action.SEND_TO_EXECUTION: lambda f, _: c.SendToExecution(
        _required_id(f, "executor_organisation_id", "организацию-исполнителя"),
        _id(f, "executor_staff_id", "исполнителя", required=False), _text(f, "comment")),
    Action.REDIRECT: lambda f, _: _redirect(f),
    Action.REQUEST_REDIRECT: lambda f, _: _redirect(f),
    Action.APPROVE_REDIRECT: lambda f, _: c.ApproveRedirect(_text(f, "comment")),
    Action.DECLINE_REDIRECT: lambda f, _: c.DeclineRedirect(_text(f, "comment")),
    Action.RETURN_TO_MODERATION: lambda f, _: c.ReturnToModeration(_text(f, "reason")),
    Action.ANSWER: lambda f, files: c.Answer(_text(f, "answer_text"), files),
    Action.RETURN_TO_COORDINATOR: lambda f, _: c.ReturnToCoordinator(_text(f, "reason")),
    Action.POSTPONE: lambda f, _: c.Postpone(_text(f, "reason"), _date(f, "new_due_date")),
    Action.SEND_TO_SED: lambda f, _: c.SendToSed(_text(f, "reference")),
    Action.RECEIVE_SED_ANSWER: lambda f, _: c.ReceiveSedAnswer(_text(f, "answer_text"),
                                                               _text(f, "reference")),
    Action.APPROVE_ANSWER: lambda f, _: c.ApproveAnswer(_text(f, "comment")),
    Action.SEND_BACK_FOR_REWORK: lambda f, _: c.SendBackForRework(_text(f, "comment")),
}


def command_for(action: Action, form: Form, files: tuple[str, ...] = ()) -> c.Command:
    builder = BUILDERS.get(action)
    if builder is None:
        raise ValidationError("Это действие нельзя выполнить из веб-кабинета")
    return builder(form, files)
