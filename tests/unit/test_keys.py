"""Naming rules shared by the API and the processors."""

from __future__ import annotations

import pytest

from fileproc.keys import (
    Category,
    category_for,
    derived_key,
    file_id_for_key,
    is_file_id,
    issued_file_id,
    new_file_id,
    sanitise_filename,
    upload_key,
)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("uploads/a/photo.jpg", Category.IMAGE),
        ("uploads/a/IMG_001.JPG", Category.IMAGE),
        ("x.JpEg", Category.IMAGE),
        ("scan.png", Category.IMAGE),
        ("report.PDF", Category.DOCUMENT),
        ("notes.txt", Category.DOCUMENT),
        ("table.csv", Category.DATA),
        ("doc.json", Category.DATA),
        ("log.jsonl", Category.DATA),
        ("log.NDJSON", Category.DATA),
        ("archive.zip", None),
        ("noextension", None),
        ("uploads/dir.jpg/file", None),
    ],
)
def test_category_by_lowercased_extension(name: str, category: Category | None) -> None:
    assert category_for(name) == category


def test_api_keys_carry_their_file_id() -> None:
    file_id = new_file_id()
    assert is_file_id(file_id)
    key = upload_key(file_id, "My Photo.JPG")
    assert key == f"uploads/{file_id}/My_Photo.JPG"
    assert issued_file_id(key) == file_id
    # The id is the key's once the record of that id holds exactly this key.
    assert file_id_for_key("bucket", key, recorded_key=key) == file_id


def test_other_keys_get_a_stable_hash_id() -> None:
    first = file_id_for_key("bucket", "uploads/camera/IMG_001.JPG")
    assert is_file_id(first)
    assert first == file_id_for_key("bucket", "uploads/camera/IMG_001.JPG")
    assert first != file_id_for_key("bucket", "uploads/camera/IMG_002.JPG")
    assert first != file_id_for_key("other-bucket", "uploads/camera/IMG_001.JPG")


def test_another_key_under_an_api_folder_has_its_own_id() -> None:
    # Written straight to the bucket next to an API upload: never the API file's record.
    file_id = new_file_id()
    issued = upload_key(file_id, "photo.jpg")
    other = f"uploads/{file_id}/other.jpg"
    assert issued_file_id(other) == file_id  # a candidate only
    own = file_id_for_key("bucket", other, recorded_key=issued)
    assert own != file_id
    assert is_file_id(own)
    assert own == file_id_for_key("bucket", other)
    # No record under the folder's id (none was asked for): the key's own id too.
    assert file_id_for_key("bucket", issued, recorded_key=None) != file_id


def test_a_hex_folder_without_a_name_is_not_an_id() -> None:
    # "uploads/<32 hex>" alone (no name after it) is an ordinary key.
    folder = "ab" * 16
    assert issued_file_id(f"uploads/{folder}") is None
    assert issued_file_id(f"uploads/{folder}/") is None
    assert issued_file_id(f"uploads/{folder}/a.csv") == folder
    assert issued_file_id(f"uploads/{folder.upper()}/a.csv") is None
    assert issued_file_id(f"other/{folder}/a.csv") is None
    key = f"uploads/{folder}"
    assert file_id_for_key("b", key, recorded_key=key) != folder


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../Café photo (1).JPG", "Cafe_photo_1.JPG"),
        ("C:\\Users\\x\\My File.png", "My_File.png"),
        ("x/../../etc/passwd", "passwd"),
        ("résumé.pdf", "resume.pdf"),
        ("漢字.txt", "file.txt"),
        ("report..pdf", "report.pdf"),
        (".bashrc", "bashrc"),
        ("a b;rm -rf.csv", "a_b_rm_-rf.csv"),
    ],
)
def test_sanitise_filename(raw: str, clean: str) -> None:
    assert sanitise_filename(raw) == clean


def test_sanitise_keeps_the_extension_within_the_length_limit() -> None:
    name = sanitise_filename("a" * 500 + ".csv")
    assert len(name) == 200
    assert name.endswith(".csv")


@pytest.mark.parametrize("raw", ["", "...", "///", "漢字"])
def test_sanitise_refuses_names_with_nothing_usable(raw: str) -> None:
    with pytest.raises(ValueError, match="no usable characters"):
        sanitise_filename(raw)


def test_derived_key() -> None:
    assert derived_key("abc", "thumbnail.jpg") == "derived/abc/thumbnail.jpg"


@pytest.mark.parametrize("value", ["ab" * 16 + "\n", "AB" * 16, "ab" * 15, "ab" * 17, "g" * 32])
def test_is_file_id_rejects_near_misses(value: str) -> None:
    assert not is_file_id(value)
