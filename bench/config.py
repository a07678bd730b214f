"""Input sizes and repeats of a run: the full run of ``make bench``, or ``--quick``.

Sizes can be changed without editing code (e.g. on a smaller machine):
BENCH_REPEATS, BENCH_PHOTO (WIDTHxHEIGHT), BENCH_CSV_MB, BENCH_BIG_CSV_MB
(comma-separated, the last one is the headline size), BENCH_PDF_PAGES,
BENCH_LIST_RECORDS (comma-separated), BENCH_E2E_FILES, BENCH_BURST_FILES,
BENCH_JSON_RECORDS.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

MB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    repeats: int  # timings per alternative (median kept)
    photo: tuple[int, int]
    csv_bytes: int
    big_csv_bytes: tuple[int, ...]  # the profile's peak memory at each size: flat?
    pdf_pages: int
    list_records: tuple[int, ...]
    list_limit: int
    e2e_files: int
    import_repeats: int
    burst_files: int = 1000  # uploads sent at once by the burst figure
    json_records: int = 400_000  # records of the JSON figures' array and JSON Lines (~67 MB)


FULL = Sizes(
    repeats=5,
    photo=(4000, 3000),
    csv_bytes=200 * MB,
    big_csv_bytes=(100 * MB, 1024 * MB),
    pdf_pages=200,
    list_records=(10_000, 100_000),
    list_limit=25,
    e2e_files=50,
    import_repeats=7,
)

QUICK = Sizes(
    repeats=1,
    photo=(640, 480),
    csv_bytes=MB // 2,
    big_csv_bytes=(MB // 2, MB),
    pdf_pages=4,
    list_records=(60, 120),
    list_limit=25,
    e2e_files=2,
    import_repeats=1,
    burst_files=20,
    json_records=2_000,
)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def sizes_from_env(base: Sizes, env: Mapping[str, str] | None = None) -> Sizes:
    env = os.environ if env is None else env
    sizes = base
    if env.get("BENCH_REPEATS"):
        sizes = replace(sizes, repeats=int(env["BENCH_REPEATS"]))
    if env.get("BENCH_PHOTO"):
        width, _, height = env["BENCH_PHOTO"].partition("x")
        sizes = replace(sizes, photo=(int(width), int(height)))
    if env.get("BENCH_CSV_MB"):
        sizes = replace(sizes, csv_bytes=int(float(env["BENCH_CSV_MB"]) * MB))
    if env.get("BENCH_BIG_CSV_MB"):
        sizes = replace(
            sizes, big_csv_bytes=tuple(size * MB for size in _ints(env["BENCH_BIG_CSV_MB"]))
        )
    if env.get("BENCH_PDF_PAGES"):
        sizes = replace(sizes, pdf_pages=int(env["BENCH_PDF_PAGES"]))
    if env.get("BENCH_LIST_RECORDS"):
        sizes = replace(sizes, list_records=_ints(env["BENCH_LIST_RECORDS"]))
    if env.get("BENCH_E2E_FILES"):
        sizes = replace(sizes, e2e_files=int(env["BENCH_E2E_FILES"]))
    if env.get("BENCH_BURST_FILES"):
        sizes = replace(sizes, burst_files=int(env["BENCH_BURST_FILES"]))
    if env.get("BENCH_JSON_RECORDS"):
        sizes = replace(sizes, json_records=int(env["BENCH_JSON_RECORDS"]))
    return sizes


@dataclass
class Context:
    sizes: Sizes
    quick: bool
    work_dir: Path  # generated inputs and unpacked zips (under build/, git-ignored)
    sandbox: bool  # whether to run the figures that deploy to the local sandbox
    log: list[str]

    def say(self, message: str) -> None:
        print(f"[bench] {message}", flush=True)
        self.log.append(message)
