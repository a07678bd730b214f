"""Document: text extraction of a multi-page PDF by the document processor, against a bare
pypdf ``extract_text`` loop over the same file. Throughput ratio: baseline time /
processor time (the processor also sniffs, spools, counts words and builds the artefact)."""

from __future__ import annotations

from typing import Any

from bench import inputs
from bench.config import Context
from bench.measure import interleaved, run_worker
from bench.model import Figure, rounded

TARGET = 0.9


def run(ctx: Context) -> list[Figure]:
    pages = ctx.sizes.pdf_pages
    path = ctx.work_dir / f"report-{pages}p-{inputs.SEED}.pdf"
    if not path.exists():
        path.write_bytes(inputs.report_pdf(pages))
    ctx.say(f"document: {pages}-page PDF, {path.stat().st_size / 1e6:.1f} MB")
    result = run_worker(
        "bench.figures.document:measure", {"path": str(path), "repeats": ctx.sizes.repeats}
    )
    processor, bare = result["processor"]["median_cpu_s"], result["bare"]["median_cpu_s"]
    ratio = bare / processor
    return [
        Figure(
            id="document.pdf",
            title=f"document: text extraction of a {pages}-page PDF",
            value=rounded(pages / processor, 1),
            unit="pages/s",
            baseline=rounded(pages / bare, 1),
            baseline_what="bare pypdf extract_text loop over the same file",
            ratio=rounded(ratio),
            target=f">= {TARGET}x",
            met=ratio >= TARGET,
            method=f"CPU time, median of {ctx.sizes.repeats} interleaved runs in one process",
            details=result,
        )
    ]


def measure(path: str, repeats: int) -> dict[str, Any]:
    from pypdf import PdfReader

    from fileproc.config import Settings
    from fileproc.processors import pdf

    settings = Settings(table_name="bench", bucket_name="bench")
    outcome: dict[str, Any] = {}

    def processor() -> None:
        with open(path, "rb") as stream:
            extraction = pdf.process(stream, settings=settings)
        outcome.update(
            pages=extraction.metadata["pages"],
            text_pages=extraction.metadata["text_pages"],
            characters=extraction.metadata["characters"],
        )

    def bare() -> None:
        reader = PdfReader(path)
        outcome["bare_characters"] = sum(len(page.extract_text()) for page in reader.pages)

    samples = interleaved({"processor": processor, "bare": bare}, repeats)
    return {name: sample.as_dict() for name, sample in samples.items()} | outcome
