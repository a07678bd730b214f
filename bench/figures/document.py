"""Document: text extraction of a multi-page PDF by the document processor, against the
two engines a user would otherwise run, in the same process and run: a bare pypdfium2
loop (PDFium, the processor's own engine) and a bare pypdf ``extract_text`` loop (the
previous engine). Throughput ratio: baseline time / processor time. The processor also
sniffs, spools, reads the metadata, counts words, builds the artefact and draws page 1's
preview; the bare loops only read every page's text."""

from __future__ import annotations

from typing import Any

from bench import inputs
from bench.config import Context
from bench.measure import interleaved, run_worker
from bench.model import Figure, rounded

TARGET_PDFIUM = 0.9
TARGET_PYPDF = 2.0


def run(ctx: Context) -> list[Figure]:
    pages = ctx.sizes.pdf_pages
    path = ctx.work_dir / f"report-{pages}p-{inputs.SEED}.pdf"
    if not path.exists():
        path.write_bytes(inputs.report_pdf(pages))
    ctx.say(f"document: {pages}-page PDF, {path.stat().st_size / 1e6:.1f} MB")
    result = run_worker(
        "bench.figures.document:measure", {"path": str(path), "repeats": ctx.sizes.repeats}
    )
    processor = result["processor"]["median_cpu_s"]
    method = f"CPU time, median of {ctx.sizes.repeats} interleaved runs in one process"
    figures = []
    for id, baseline, what, target in (
        ("document.pdf", "pdfium", "bare pypdfium2 text loop over the same file", TARGET_PDFIUM),
        ("document.pdf.pypdf", "pypdf", "bare pypdf extract_text loop, same file", TARGET_PYPDF),
    ):
        bare = result[baseline]["median_cpu_s"]
        ratio = bare / processor
        figures.append(
            Figure(
                id=id,
                title=f"document: text extraction of a {pages}-page PDF",
                value=rounded(pages / processor, 1),
                unit="pages/s",
                baseline=rounded(pages / bare, 1),
                baseline_what=what,
                ratio=rounded(ratio),
                target=f">= {target}x",
                met=ratio >= target,
                method=method,
                details=result,
            )
        )
    return figures


def measure(path: str, repeats: int) -> dict[str, Any]:
    import pypdfium2
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
            thumbnail=extraction.metadata["thumbnail"],
        )

    def pdfium() -> None:
        document = pypdfium2.PdfDocument(path)
        characters = 0
        for page in document:
            textpage = page.get_textpage()
            characters += len(textpage.get_text_range())
            textpage.close()
            page.close()
        document.close()
        outcome["pdfium_characters"] = characters

    def pypdf() -> None:
        reader = PdfReader(path)
        outcome["pypdf_characters"] = sum(len(page.extract_text()) for page in reader.pages)

    samples = interleaved({"processor": processor, "pdfium": pdfium, "pypdf": pypdf}, repeats)
    return {name: sample.as_dict() for name, sample in samples.items()} | outcome
