"""How each letter language writes a date and labels the letterhead.

Written out here rather than taken from Django's locale files: Django has no
Haitian Creole, and a letter's dates must read the same on every machine
whatever locales it has installed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class LetterLanguage:
    code: str
    months: tuple[str, ...]  # January first, in the form a full date uses
    pattern: str  # str.format fields: day, month (name), month_number, year
    phone: str
    email: str
    sample: str  # the banner on a preview: it is not a real letter


LANGUAGES: dict[str, LetterLanguage] = {
    spec.code: spec
    for spec in (
        LetterLanguage(
            "en",
            (
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ),
            "{month} {day}, {year}",
            "Phone",
            "Email",
            "SAMPLE - invented data, not a real letter",
        ),
        LetterLanguage(
            "es",
            (
                "enero",
                "febrero",
                "marzo",
                "abril",
                "mayo",
                "junio",
                "julio",
                "agosto",
                "septiembre",
                "octubre",
                "noviembre",
                "diciembre",
            ),
            "{day} de {month} de {year}",
            "Teléfono",
            "Correo electrónico",
            "MUESTRA - datos inventados, no es una carta real",
        ),
        LetterLanguage(
            "pt",
            (
                "janeiro",
                "fevereiro",
                "março",
                "abril",
                "maio",
                "junho",
                "julho",
                "agosto",
                "setembro",
                "outubro",
                "novembro",
                "dezembro",
            ),
            "{day} de {month} de {year}",
            "Telefone",
            "E-mail",
            "AMOSTRA - dados fictícios, não é uma carta real",
        ),
        LetterLanguage(
            "ht",
            (
                "janvye",
                "fevriye",
                "mas",
                "avril",
                "me",
                "jen",
                "jiyè",
                "out",
                "septanm",
                "oktòb",
                "novanm",
                "desanm",
            ),
            "{day} {month} {year}",
            "Telefòn",
            "Imèl",
            "EGZANP - done envante, se pa yon lèt tout bon",
        ),
        LetterLanguage(
            "pl",
            (  # the genitive, as a date is written: "15 marca 2021 r."
                "stycznia",
                "lutego",
                "marca",
                "kwietnia",
                "maja",
                "czerwca",
                "lipca",
                "sierpnia",
                "września",
                "października",
                "listopada",
                "grudnia",
            ),
            "{day} {month} {year} r.",
            "Telefon",
            "E-mail",
            "WZÓR - dane fikcyjne, to nie jest prawdziwe pismo",
        ),
        LetterLanguage(
            "vi",
            tuple(str(number) for number in range(1, 13)),
            "ngày {day} tháng {month_number} năm {year}",
            "Điện thoại",
            "Email",
            "MẪU - dữ liệu giả định, không phải thư thật",
        ),
        LetterLanguage(
            "zh",
            tuple(f"{number}月" for number in range(1, 13)),
            "{year}年{month_number}月{day}日",
            "电话",
            "电子邮件",
            "样本 - 虚构数据，并非真实信函",  # noqa: RUF001 - a Chinese comma, on purpose
        ),
        LetterLanguage(
            "ar",
            (
                "يناير",
                "فبراير",
                "مارس",
                "أبريل",
                "مايو",
                "يونيو",
                "يوليو",
                "أغسطس",
                "سبتمبر",
                "أكتوبر",
                "نوفمبر",
                "ديسمبر",
            ),
            "{day} {month} {year}",
            "الهاتف",
            "البريد الإلكتروني",
            "نموذج - بيانات وهمية، ليست رسالة حقيقية",
        ),
    )
}


def format_date(day: dt.date, language: str) -> str:
    """``day`` the way a letter in ``language`` writes it."""
    spec = LANGUAGES[language]
    return spec.pattern.format(
        day=day.day,
        month=spec.months[day.month - 1],
        month_number=day.month,
        year=day.year,
    )
