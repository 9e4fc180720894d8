"""Photo validation by content, not by the name or type a client claims."""

from __future__ import annotations

from core.domain.errors import ValidationError

_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "application/pdf": "pdf"}


def sniff_image(data: bytes) -> str | None:
    for signature, offset, content_type in _SIGNATURES:
        if data[offset:offset + len(signature)] == signature:
            if content_type == "image/webp" and not data.startswith(b"RIFF"):
                continue
            return content_type
    return None


def validate_photo(data: bytes, *, max_bytes: int) -> str:
    """Return the real content type or raise a ValidationError a citizen can act on."""
    if not data:
        raise ValidationError("Файл пустой — пришлите фотографию ещё раз", field="photo")
    if len(data) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise ValidationError(f"Фотография слишком большая: не больше {mb} МБ", field="photo")
    content_type = sniff_image(data)
    if content_type is None:
        raise ValidationError("Это не изображение: пришлите фото в формате JPEG, PNG или WebP",
                              field="photo")
    return content_type


def validate_attachment(data: bytes, *, max_bytes: int) -> str:
    """An answer's attachment: a photo or a PDF document, checked by content."""
    if not data:
        raise ValidationError("Файл пустой", field="files")
    if len(data) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise ValidationError(f"Файл слишком большой: не больше {mb} МБ", field="files")
    content_type = "application/pdf" if data.startswith(b"%PDF-") else sniff_image(data)
    if content_type is None:
        raise ValidationError("Приложите изображение (JPEG, PNG, GIF, WebP) или документ PDF",
                              field="files")
    return content_type
