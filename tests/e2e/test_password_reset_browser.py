"""Camila forgot her password: in Chromium, in Spanish, she asks for a link, which the server emails to a real
SMTP server; the link lets her choose a new password once, she signs in with it, and the old one is refused.
Every page speaks to her as "tú", as the rest of the site does (coaching/accounts/passwords.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.pages import TIMEOUT, sign_in
from tests.notifications.smtp import text_of

pytestmark = [pytest.mark.browser]
NEW_PASSWORD = "Bogota-by-bike-2026"
# Django's own Spanish says "usted"; none of it may reach these pages.
USTED = re.compile(r"\b(usted|ustedes|su|sus|introduzca|ingrese|escriba|elija|olvidó|por favor)\b", re.I)


def speaks_tu(page: Any) -> str:
    """The text of the page's main content, after checking it has no "usted" in it."""
    text = page.inner_text("main")
    found = USTED.findall(text)
    assert not found, f"{found} on {page.url}:\n{text}"
    return text


def test_a_member_resets_her_password_from_the_emailed_link_in_spanish(
    chromium: Any, daphne_factory: Callable[..., str], demo: dict[str, Any], smtp_server: Any
) -> None:
    base = daphne_factory(**smtp_server.env)  # the server process sends its email to our SMTP server
    context = chromium.new_context(locale="es-ES")
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{base}/accounts/login/")
    page.click("text=¿Olvidaste tu contraseña?")
    page.wait_for_url(f"{base}/accounts/password_reset/")
    assert page.inner_text("h1") == "Restablece tu contraseña"
    assert "Escribe la dirección de correo de tu cuenta" in speaks_tu(page)
    page.fill("input[name=email]", "camila@demo.circles.example")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/password_reset/done/")
    assert page.inner_text("h1") == "Revisa tu correo"
    assert "te enviamos un enlace" in speaks_tu(page)

    (sent,) = smtp_server.wait_for(1)
    assert str(sent["To"]) == "camila@demo.circles.example"
    assert sent["Subject"] == "Restablece tu contraseña de Circles"
    body = text_of(sent)
    assert body.startswith("Hola, Camila Rojas:")
    assert "de tu cuenta de Circles. Si fuiste tú, elige una contraseña nueva aquí:" in body
    assert not USTED.findall(body), body
    link = re.search(rf"{re.escape(base)}/accounts/reset/[\w-]+/[\w-]+/", body)
    assert link is not None, body

    page.goto(link.group(0))
    page.wait_for_url(f"{base}/accounts/reset/*/set-password/")
    assert page.inner_text("h1") == "Elige una contraseña nueva"
    assert "Escribe la misma contraseña otra vez, para comprobarla." in speaks_tu(page)
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/accounts/reset/done/")
    assert page.inner_text("h1") == "Contraseña guardada"
    speaks_tu(page)

    # The link worked once: opened again, it says so and offers a new one.
    page.goto(link.group(0))
    assert page.inner_text("h1") == "Este enlace ya no funciona"
    assert page.locator("main a[href='/accounts/password_reset/']").count() == 1
    speaks_tu(page)

    # The old password is refused, in her words; the new one signs her in.
    sign_in(page, base, "camila", demo["password"], expect_home=False)
    page.locator(".form-errors", has_text="Ese usuario y esa contraseña no coinciden.").wait_for()
    assert page.url == f"{base}/accounts/login/"
    sign_in(page, base, "camila", NEW_PASSWORD)
    assert page.locator("form[action='/accounts/logout/']").count() == 1  # signed in
    context.close()
    assert errors == []
