from core.domain.privacy import mask_email, mask_name, mask_phone


def test_phone_keeps_only_the_last_two_digits() -> None:
    assert mask_phone("+7 913 123-45-67") == "+7 *** ***-**-67"
    assert mask_phone("89131234567") == "+7 *** ***-**-67"
    assert mask_phone("12") == "***"
    assert mask_phone(None) is None


def test_email_keeps_the_first_letter_and_the_domain() -> None:
    assert mask_email("ivan.petrov@mail.ru") == "i***@mail.ru"
    assert mask_email("broken") == "***"


def test_name_becomes_initials() -> None:
    assert mask_name("Пётр Иванов") == "П. И."
    assert mask_name("  ") is None
