"""The web console in a real browser: Debian's headless Chromium, driven by Playwright, on the
page the deployed stack serves (modules/console through the sandbox's API front).

One test walks what a person does, in order: the key, a drop of several files (two refused
before anything is sent), each upload followed to PROCESSED or FAILED, the detail views
(thumbnail, EXIF, CSV and Parquet columns, the corrupt file's reason), downloads of the original and
an artefact, the list's filters and pages, and the page at phone width. Screenshots go to
$FILEPROC_SCREENSHOTS (docs/ for the README's; a temporary directory otherwise).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fileproc_tools.samples import SAMPLES_DIR

from . import samples
from .stack import PROCESSING_TIMEOUT_SECONDS, Stack

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (root in CI), no GPU, and nothing that reaches the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = PROCESSING_TIMEOUT_SECONDS * 1000

PHOTO = samples.photo_jpeg()
REPORT = samples.report_pdf(samples.PDF_PAGES, "Quarterly report", "Finance team")
# The demo's Parquet sample (27 KB): 5,000 sensor readings in three row groups.
READINGS = (SAMPLES_DIR / "readings.parquet").read_bytes()
# name, type the browser reports, bytes
DROPPED = [
    ("console photo.jpg", "image/jpeg", PHOTO),
    ("console report.pdf", "application/pdf", REPORT),
    # Browsers report no type for some extensions; the page declares the usual one.
    ("console cities.csv", "", samples.TABLE_CSV.encode()),
    ("console readings.parquet", "", READINGS),
    ("console broken.jpg", "image/jpeg", samples.truncated_jpeg()),
    ("console empty.txt", "text/plain", b""),
    ("console letter.docx", "application/msword", b"PK\x03\x04 not accepted"),
]
REFUSED = {"console empty.txt": "Empty file", "console letter.docx": "Not accepted: .docx"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get install chromium` (.ci/run installs it)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("FILEPROC_SCREENSHOTS")
    directory = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def drop(page: Any, selector: str, files: list[tuple[str, str, bytes]]) -> None:
    """Drop files on an element as a person's drag and drop does (a DataTransfer of Files)."""
    payload = [
        {"name": name, "type": kind, "data": base64.b64encode(body).decode()}
        for name, kind, body in files
    ]
    page.evaluate(
        """([selector, files]) => {
            const transfer = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], f.name, {type: f.type}));
            }
            const target = document.querySelector(selector);
            for (const type of ["dragenter", "dragover", "drop"]) {
                const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
                target.dispatchEvent(new DragEvent(type, init));
            }
        }""",
        [selector, payload],
    )


def upload_row(page: Any, name: str) -> Any:
    return page.locator("#uploads li", has=page.locator(".name", has_text=name))


def test_a_person_uses_the_console(stack: Stack, browser: Any, shots: Path) -> None:
    from playwright.sync_api import expect

    # More files than one page of the list holds (10), so that there is a next page.
    for number in range(6):
        stack.upload(f"console page filler {number}.txt", "text/plain", b"filler text\n")

    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    # Script errors and Content-Security-Policy violations ("Refused to ..."); not the
    # answers the page expects and handles (the 403 of a wrong key).
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    sent: list[str] = []
    page.on(
        "request",
        lambda r: sent.append(r.post_data or "") if r.method == "POST" else None,
    )

    # --- the page, as served: strict headers, no key in it --------------------------------
    response = page.goto(stack.outputs["console_url"])
    assert response is not None
    assert response.status == 200
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert stack.outputs["api_key_value"] not in page.content()

    # --- the key: a wrong one is refused, the right one kept for this tab only --------------
    page.get_by_label("API key").fill("not-the-key")
    page.get_by_role("button", name="Use this key").click()
    expect(page.locator("#key-error")).to_contain_text("refused")
    page.get_by_label("API key").fill(stack.outputs["api_key_value"])
    page.get_by_role("button", name="Use this key").click()
    expect(page.get_by_role("heading", name="Upload")).to_be_visible()
    stored = page.evaluate("() => Object.keys(window.sessionStorage)")
    assert stored == ["fileproc.apiKey"]
    assert page.evaluate("() => window.localStorage.length") == 0
    expect(page.locator("#drop-help")).to_contain_text("Largest: images 50.0 MB")

    # --- drop six files: two refused at once, four uploaded and followed -------------------
    drop(page, "#drop", DROPPED)
    for name, reason in REFUSED.items():
        expect(upload_row(page, name).locator(".state")).to_contain_text(
            f"Refused, nothing sent. {reason}"
        )
    for name, _, _ in DROPPED:
        if name in REFUSED:
            continue
        row = upload_row(page, name)
        expect(row.locator(".state")).to_contain_text(
            "FAILED" if "broken" in name else "PROCESSED", timeout=TIMEOUT_MS
        )
        assert row.locator("progress").evaluate("(p) => p.value") == 1
    broken = upload_row(page, "console broken.jpg").locator(".state")
    expect(broken).to_contain_text("The file is damaged")
    expect(broken).to_contain_text("truncated")
    # Nothing of the refused files went out: no POST /files named them.
    assert not [body for body in sent for name in REFUSED if name in body]
    page.screenshot(path=str(shots / "console-upload.png"))

    # A file chosen with the file picker goes the same way.
    page.locator("#file-input").set_input_files(
        files=[{"name": "console picked.json", "mimeType": "application/json", "buffer": b"[1]"}]
    )
    expect(upload_row(page, "console picked.json").locator(".state")).to_contain_text(
        "PROCESSED", timeout=TIMEOUT_MS
    )

    # --- the photo's detail: thumbnail from the bucket, EXIF, downloads --------------------
    upload_row(page, "console photo.jpg").get_by_role("button", name="Details").click()
    detail = page.locator("#detail")
    expect(page.locator("#detail-title")).to_have_text("console photo.jpg")
    thumbnail = detail.get_by_role("img", name="Thumbnail of console photo.jpg")
    expect(thumbnail).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('#detail img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    # 640x480 turned upright by EXIF orientation 6: a portrait thumbnail.
    width, height = thumbnail.evaluate("(i) => [i.naturalWidth, i.naturalHeight]")
    assert height > width
    expect(detail).to_contain_text("Canon EOS R6")
    expect(detail).to_contain_text("640 \u00d7 480 px")
    detail.screenshot(path=str(shots / "console-detail-photo.png"))
    with page.expect_download() as original:
        detail.get_by_role("button", name="Download the original").click()
    assert original.value.suggested_filename == "console photo.jpg"
    assert Path(original.value.path()).read_bytes() == PHOTO
    with page.expect_download() as artefact:
        detail.get_by_role("button", name="Download: Thumbnail (JPEG)").click()
    assert artefact.value.suggested_filename == "console photo.thumbnail.jpg"
    assert Path(artefact.value.path()).read_bytes()[:3] == b"\xff\xd8\xff"

    # --- the PDF: its information and its text --------------------------------------------
    upload_row(page, "console report.pdf").get_by_role("button", name="Details").click()
    expect(page.locator("#detail-title")).to_have_text("console report.pdf")
    expect(detail).to_contain_text("Quarterly report")
    expect(detail).to_contain_text("Finance team")
    with page.expect_download() as text:
        detail.get_by_role("button", name="Download: Extracted text").click()
    assert "Revenue grew by four percent" in Path(text.value.path()).read_text()

    # --- the CSV: its columns, types and statistics as a table ------------------------------
    upload_row(page, "console cities.csv").get_by_role("button", name="Details").click()
    expect(page.locator("#detail-title")).to_have_text("console cities.csv")
    columns = detail.get_by_role("table")
    expect(columns.get_by_role("row")).to_have_count(5)  # the header and four columns
    population = columns.get_by_role("row", name="population")
    expect(population).to_contain_text("integer")
    expect(population).to_contain_text("522250")
    expect(population).to_contain_text("2102650")
    expect(columns.get_by_role("row", name="capital")).to_contain_text("boolean")
    detail.screenshot(path=str(shots / "console-detail-csv.png"))

    # --- the Parquet file: what its footer says, each column's statistics -----------------
    upload_row(page, "console readings.parquet").get_by_role("button", name="Details").click()
    expect(page.locator("#detail-title")).to_have_text("console readings.parquet")
    expect(detail).to_contain_text("Row groups")
    expect(detail).to_contain_text("ZSTD")
    columns = detail.get_by_role("table")
    expect(columns.get_by_role("row")).to_have_count(9)  # the header and eight leaf columns
    humidity = columns.get_by_role("row", name="humidity_pct")
    expect(humidity).to_contain_text("SMALLINT")
    expect(humidity).to_contain_text("55")
    expect(humidity).to_contain_text("90")
    expect(columns.get_by_role("row", name="temperature_c")).to_contain_text("52")  # nulls
    detail.screenshot(path=str(shots / "console-detail-parquet.png"))

    # --- the corrupt file: the error with its type, in words ------------------------------
    upload_row(page, "console broken.jpg").get_by_role("button", name="Details").click()
    expect(page.locator("#detail-title")).to_have_text("console broken.jpg")
    alert = detail.get_by_role("alert")
    expect(alert).to_contain_text("Corrupt")
    expect(alert).to_contain_text("The file is damaged")
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()

    # --- the list: newest first, pages, filters ---------------------------------------------
    page.get_by_role("button", name="Refresh").click()
    rows = page.locator("#files-body tr")
    expect(rows).to_have_count(10)
    expect(rows.first).to_contain_text("console picked.json")
    ids = "() => [...document.querySelectorAll('#files-body tr')].map((r) => r.dataset.fileId)"
    first_page = page.evaluate(ids)
    page.get_by_role("button", name="Next page").click()
    expect(page.locator("#page-info")).to_have_text("Page 2")
    expect(rows.first).not_to_have_attribute("data-file-id", first_page[0])
    second_page = page.evaluate(ids)
    assert second_page
    assert not set(first_page) & set(second_page)
    page.get_by_role("button", name="Previous page").click()
    expect(page.locator("#page-info")).to_have_text("Page 1")
    expect(rows.first).to_have_attribute("data-file-id", first_page[0])
    assert page.evaluate(ids) == first_page
    page.get_by_label("Status").select_option("FAILED")
    page.get_by_label("Category").select_option("image")
    page.get_by_role("button", name="Show").click()
    expect(rows.first).to_contain_text("FAILED")
    for row_text in rows.all_inner_texts():
        assert "FAILED" in row_text
        assert "image" in row_text
    page.get_by_role("button", name="console broken.jpg").first.click()
    expect(page.locator("#detail-title")).to_have_text("console broken.jpg")

    # --- the too-large refusal, with the deployed limits, in this browser -------------------
    verdict = page.evaluate(
        """async () => {
            const here = window.location.href;
            const rules = await import(new URL("console/rules.js", here));
            const config = await (await fetch(new URL("console/config.json", here))).json();
            const limits = config.max_bytes;
            const huge = {name: "huge.csv", size: limits.data + 1, type: "text/csv"};
            return rules.check(huge, limits);
        }"""
    )
    assert verdict["ok"] is False
    assert verdict["reason"].startswith("Too large")

    # --- a phone: nothing wider than the screen ---------------------------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("Status").select_option("")
    page.get_by_label("Category").select_option("")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(10)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "console-phone.png"))

    # --- the keyboard alone reaches every control, in the page's order ----------------------
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("body").focus()
    reached = []
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("() => document.activeElement.id"))
    controls = ["forget-key", "file-input", "filter-status", "filter-category", "refresh"]
    assert set(controls) <= set(reached), reached
    # The file input hides behind its label, which shows the keyboard's focus.
    for _ in range(40):
        if page.evaluate("() => document.activeElement.id") == "file-input":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "file-input"
    label_outline = "() => getComputedStyle(document.querySelector('label[for=file-input]'))"
    assert page.evaluate(label_outline + ".outlineStyle") == "solid"

    # --- forgetting the key ------------------------------------------------------------------
    page.get_by_role("button", name="Forget the key").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("() => window.sessionStorage.length") == 0

    context.close()
    # No script error and no Content-Security-Policy violation on the way.
    assert problems == []
