"""The demo's samples: made deterministically, small, and what they claim to be."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from pypdf import PdfReader

from fileproc_tools.samples import SAMPLES, SAMPLES_DIR, generate, main, sample_paths


def test_generation_is_deterministic(tmp_path: Path) -> None:
    first = generate(tmp_path / "a")
    second = generate(tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert main(["--check", "--out", str(tmp_path / "a")]) == 0
    (tmp_path / "a" / "notes.txt").write_text("edited")
    assert main(["--check", "--out", str(tmp_path / "a")]) == 1


def test_committed_samples_are_small_and_complete() -> None:
    paths = sample_paths()
    assert [p.name for p in paths] == [s.filename for s in SAMPLES]
    assert sum(p.stat().st_size for p in paths) < 200 * 1024


def test_the_photo_is_stored_sideways_with_its_orientation() -> None:
    with Image.open(SAMPLES_DIR / "photo.jpg") as photo:
        assert (photo.format, photo.size) == ("JPEG", (640, 480))
        assert photo.getexif()[0x0112] == 6  # Orientation: rotate 90° clockwise to view


def test_the_pdf_has_pages_text_and_metadata() -> None:
    reader = PdfReader(SAMPLES_DIR / "report.pdf")
    assert len(reader.pages) == 3
    assert "Volumes" in reader.pages[1].extract_text()
    assert reader.metadata is not None
    assert reader.metadata.title == "Quarterly processing report"


def test_the_broken_photo_is_the_photo_cut_in_half() -> None:
    whole = (SAMPLES_DIR / "photo.jpg").read_bytes()
    broken = (SAMPLES_DIR / "broken-photo.jpg").read_bytes()
    assert whole.startswith(broken)
    assert len(broken) == len(whole) // 2
