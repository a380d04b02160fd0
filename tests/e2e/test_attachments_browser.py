"""Files in chat with real browsers: Kofi drops a photo and a PDF into Harambee, Grace sees the thumbnail,
opens it, downloads the PDF, and a member of Puentes gets 404 on both files."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.chat.test_attachments import pdf
from tests.e2e import pages

pytestmark = [pytest.mark.browser]
CONNECTED = "#chat-status[data-state=connected]"
TIMEOUT = 10_000

DROP_FILES = """([selector, files]) => {
    const transfer = new DataTransfer();
    for (const f of files) {
        const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], f.name, { type: f.type }));
    }
    const target = document.querySelector(selector);
    for (const type of ["dragenter", "dragover", "drop"]) {
        const event = new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true });
        target.dispatchEvent(event);
    }
}"""


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 90)).save(out, "JPEG")
    return out.getvalue()


class Person(pages.Person):
    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector(CONNECTED, timeout=TIMEOUT)


@pytest.fixture
def people(chromium: Any, daphne_server: str, demo: dict[str, Any]) -> Iterator[dict[str, Any]]:
    harambee, puentes = demo["circles"][1], demo["circles"][0]
    assert (harambee["name"], puentes["name"]) == ("Harambee", "Puentes")
    assert "camila" in puentes["members"]
    url = f"{daphne_server}/circles/{harambee['id']}/"
    kofi = Person(chromium, daphne_server, "kofi", demo["password"])
    grace = Person(chromium, daphne_server, "grace", demo["password"])
    camila = Person(chromium, daphne_server, "camila", demo["password"])
    kofi.open(url)
    grace.open(url)
    yield {"kofi": kofi, "grace": grace, "camila": camila}
    for person in (kofi, grace, camila):
        person.context.close()
    assert kofi.errors + grace.errors + camila.errors == []


def test_kofi_drops_a_photo_and_a_pdf_grace_sees_and_downloads_them_puentes_gets_404(people, tmp_path: Path):
    kofi, grace, camila = people["kofi"], people["grace"], people["camila"]
    files = [
        {"name": "market.jpg", "type": "image/jpeg", "data": base64.b64encode(photo()).decode()},
        {"name": "business-plan.pdf", "type": "application/pdf", "data": base64.b64encode(pdf()).decode()},
    ]
    kofi.page.evaluate(DROP_FILES, ["#chat", files])
    kofi.page.wait_for_selector("#chat-tray li[data-state=ready] >> nth=1", timeout=TIMEOUT)
    assert kofi.page.locator("#chat-tray li").count() == 2
    kofi.page.fill("#chat-input", "My stall and the plan")
    kofi.page.press("#chat-input", "Enter")
    assert kofi.page.locator("#chat-tray").is_hidden()

    message = grace.page.locator("#chat-log .chat-msg:not(.chat-pending)", has_text="My stall and the plan")
    thumb = message.locator(".chat-thumb img")
    thumb.wait_for(timeout=TIMEOUT)
    grace.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle(), timeout=TIMEOUT
    )
    assert thumb.evaluate("img => img.naturalWidth") == 480  # the 800×600 photo's thumbnail
    card = message.locator("a.chat-file")
    assert "business-plan.pdf" in card.inner_text()
    assert "PDF document" in card.inner_text()

    # The photo opens in the page's viewer.
    message.locator(".chat-thumb").click()
    grace.page.wait_for_function(
        "() => document.getElementById('chat-viewer-image').naturalWidth > 0",
        timeout=TIMEOUT,
    )
    assert grace.page.locator("#chat-viewer-image").evaluate("img => img.naturalWidth") == 800
    grace.page.keyboard.press("Escape")

    with grace.page.expect_download(timeout=TIMEOUT) as download:
        card.click()
    saved = tmp_path / "plan.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "business-plan.pdf"
    assert saved.read_bytes() == pdf()

    file_url = card.get_attribute("href")
    thumb_url = thumb.get_attribute("src")
    assert file_url
    assert thumb_url
    for url in (file_url, thumb_url):
        assert grace.context.request.get(f"{grace.base_url}{url}").status == 200
        assert camila.context.request.get(f"{camila.base_url}{url}").status == 404
