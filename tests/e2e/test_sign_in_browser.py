"""A demo member signs in with a real browser and sees their circles, in English and in Spanish."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.pages import sign_in

pytestmark = [pytest.mark.browser]
SHOTS = Path(__file__).resolve().parents[2] / "test-results"


def test_a_member_signs_in_and_sees_their_circle_in_english_then_spanish(chromium, daphne_server, demo):
    context = chromium.new_context(locale="en-GB", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, daphne_server, "kofi", demo["password"])
    page.wait_for_selector("h2#circles-heading")
    assert page.inner_text("h2#circles-heading") == "My circles"
    card = page.locator(".circle-card")
    assert card.count() == 1
    assert "Harambee" in card.inner_text()
    assert "Amani Wanjiru" in card.inner_text()
    assert "Accra (Ghana)" in page.inner_text("footer")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "home-en.png"), full_page=True)

    page.select_option("#language-select", "es")
    page.wait_for_selector("text=Mis círculos")
    assert page.locator("html").get_attribute("lang") == "es"
    assert "Harambee" in page.locator(".circle-card").inner_text()
    assert "eres miembro" in page.locator(".circle-card").inner_text()
    page.screenshot(path=str(SHOTS / "home-es.png"), full_page=True)
    context.close()


def test_a_spanish_speaking_member_gets_spanish_from_the_first_page(chromium, daphne_server, demo):
    context = chromium.new_context(locale="es-CO")
    page = context.new_page()
    page.goto(f"{daphne_server}/accounts/login/")
    assert page.inner_text("h1") == "Iniciar sesión"
    sign_in(page, daphne_server, "camila", demo["password"])
    page.wait_for_selector("text=Mis círculos")
    assert "Puentes" in page.locator(".circle-card").inner_text()
    assert "Lucía Fernández" in page.locator(".circle-card").inner_text()
    context.close()


def test_a_wrong_password_keeps_the_member_on_the_sign_in_page(chromium, daphne_server, demo):
    context = chromium.new_context(locale="en-GB")
    page = context.new_page()
    sign_in(page, daphne_server, "kofi", "wrong", expect_home=False)
    page.wait_for_selector(".form-errors")
    assert "That username and password don’t match." in page.inner_text(".form-errors")
    context.close()
