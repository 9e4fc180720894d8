"""Answering through the web admin: an answer template's text, attachments checked by content
and shown to the staff who may see the message."""

from __future__ import annotations

import httpx

from core.domain import commands as c
from core.domain.enums import Status
from core.services.actions import perform
from core.services.platform import Platform
from tests.support import factories as f
from tests.support.dialog import JPEG
from tests.support.web import hidden, signed_in, staff_restored

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


async def _in_work(p: Platform) -> int:
    msg = await f.file_message(p)
    await perform(p, message_id=msg.id, actor=await f.staff(p, "moderator"),
                  command=c.ApproveModeration())
    await perform(p, message_id=msg.id, actor=await f.staff(p, "coordinator"),
                  command=c.SendToExecution(executor_organisation_id=await f.org_id(p, "NSK-ADM")))
    return msg.id


async def _answer(web: httpx.AsyncClient, mid: int, files: list[tuple[str, bytes, str]]
                  ) -> httpx.Response:
    page = await web.get(f"/admin/messages/{mid}")
    assert "Работы выполнены" in page.text  # the demo answer templates are offered
    return await web.post(
        f"/admin/messages/{mid}/act/answer",
        data={"csrf": hidden(page.text, "csrf"), "version": hidden(page.text, "version"),
              "answer_text": "Яму заделали, фото и акт во вложении."},
        files=[("files", item) for item in files])


async def test_an_answer_with_attachments_reaches_the_manager(platform: Platform) -> None:
    p = platform
    mid = await _in_work(p)
    async with staff_restored(p):
        executor = await signed_in(p, "executor")
        manager = await signed_in(p, "manager")
        stranger = await signed_in(p, "coordinator2")
        try:
            response = await _answer(executor, mid, [("photo.jpg", JPEG, "image/jpeg"),
                                                     ("act.pdf", PDF, "application/pdf")])
            assert response.status_code == 303, response.text
            row = await f.message_row(p, mid)
            assert row.status == Status.ANSWER_PREPARED.value
            assert len(row.answer_attachments) == 2
            page = await manager.get(f"/admin/messages/{mid}")
            assert "Вложение 2 (PDF)" in page.text
            photo = await manager.get(f"/admin/messages/{mid}/attachments/0")
            pdf = await manager.get(f"/admin/messages/{mid}/attachments/1")
            assert (photo.status_code, photo.headers["content-type"]) == (200, "image/jpeg")
            assert photo.content == JPEG
            assert pdf.headers["content-type"] == "application/pdf" and pdf.content == PDF
            assert (await manager.get(f"/admin/messages/{mid}/attachments/2")).status_code == 404
            assert (await stranger.get(f"/admin/messages/{mid}/attachments/0")).status_code == 404
        finally:
            for web in (executor, manager, stranger):
                await web.aclose()


async def test_a_file_that_is_not_an_image_or_pdf_is_refused(platform: Platform) -> None:
    p = platform
    mid = await _in_work(p)
    async with staff_restored(p):
        executor = await signed_in(p, "executor")
        try:
            response = await _answer(executor, mid, [("x.html", b"<script>1</script>",
                                                      "image/jpeg")])
            assert response.status_code == 422
            assert "Приложите изображение (JPEG, PNG, GIF, WebP) или документ PDF" in response.text
            assert "Яму заделали, фото и акт во вложении." in response.text  # kept as typed
            assert (await f.message_row(p, mid)).status == Status.IN_WORK.value
        finally:
            await executor.aclose()
