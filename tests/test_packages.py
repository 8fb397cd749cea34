"""The package directory: install from file, list, remove; bad archives; crashes mid-install;
and proof that argostranslate and we see the same packages."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import glossary.packages as packages
from glossary.errors import InputError, PackageError
from glossary.packages import (
    STAGING_PREFIX,
    find_package,
    install_from_file,
    list_packages,
    remove_package,
    version_key,
)

FOLDER = "translate-de_en-1_0"
METADATA = {"type": "translate", "from_code": "de", "to_code": "en", "package_version": "1.0"}


def members(
    changes: dict[str, bytes | None] | None = None, folder: str = FOLDER
) -> dict[str, bytes]:
    """A structurally valid package's files (the contents are never loaded by install);
    `changes` maps a path under the folder to new bytes, or to None to leave it out."""
    files: dict[str, bytes | None] = {
        "metadata.json": json.dumps(METADATA).encode(),
        "model/model.bin": b"\0" * 64,
        "model/config.json": b"{}",
        "sentencepiece.model": b"sp",
    }
    files.update(changes or {})
    return {f"{folder}/{name}": data for name, data in files.items() if data is not None}


def write_zip(path: Path, files: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name), data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def fake_package(packages_dir: Path, folder: str, version: str, pair: tuple[str, str]) -> None:
    """An installed package as list_packages sees it (metadata only)."""
    (packages_dir / folder).mkdir(parents=True)
    meta = {"from_code": pair[0], "to_code": pair[1], "package_version": version}
    (packages_dir / folder / "metadata.json").write_text(json.dumps(meta))


def assert_untouched(packages_dir: Path, expected: set[str] | None = None) -> None:
    """Nothing new in the package directory and no staging folder left beside it."""
    present = {p.name for p in packages_dir.iterdir()} if packages_dir.exists() else set()
    assert present == (expected or set())
    assert not list(packages_dir.parent.glob(f"{STAGING_PREFIX}*"))


# --- versions -------------------------------------------------------------------------------

VERSION_ORDER = [
    ("1.10", "1.9"),
    ("1.9.1", "1.9"),
    ("2.0", "1.99"),
    ("1.0", "0.9"),
    ("10", "9"),
    ("1.1", ""),
]


@pytest.mark.parametrize(("newer", "older"), VERSION_ORDER)
def test_version_key_orders_numerically(newer: str, older: str) -> None:
    assert version_key(newer) > version_key(older)


def test_find_package_picks_newest_numerically(tmp_path: Path) -> None:
    for version in ("1.9", "1.10", "1.2"):
        fake_package(tmp_path, f"de_en-{version}", version, ("de", "en"))
    fake_package(tmp_path, "en_de", "3.0", ("en", "de"))
    found = find_package(tmp_path, "de", "en")
    assert found is not None and found.package_version == "1.10"
    assert find_package(tmp_path, "fr", "en") is None


# --- listing --------------------------------------------------------------------------------


def test_list_skips_what_is_not_a_package(tmp_path: Path) -> None:
    fake_package(tmp_path, "good", "1.0", ("de", "en"))
    (tmp_path / "stray-folder").mkdir()  # no metadata.json: breaks argostranslate, not us
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "metadata.json").write_text("{not json")
    (tmp_path / "a-file.txt").write_text("x")
    fake_package(tmp_path, ".hidden", "1.0", ("fr", "en"))
    assert [p.path.name for p in list_packages(tmp_path)] == ["good"]


def test_list_of_missing_directory_is_empty(tmp_path: Path) -> None:
    assert list_packages(tmp_path / "nope") == []


# --- install, list, remove ------------------------------------------------------------------


def test_install_list_remove(tmp_path: Path, tiny_archive: Path) -> None:
    packages_dir = tmp_path / "deep" / "packages"  # created on demand
    package = install_from_file(packages_dir, tiny_archive)
    assert package.pair == ("de", "en")
    assert package.path == packages_dir / FOLDER  # the folder name argospm would use
    assert (package.model_dir / "model.bin").is_file() and package.sentencepiece_model.is_file()
    assert [p.path for p in list_packages(packages_dir)] == [package.path]
    # The lock file lives beside the package directory, never in it.
    assert_untouched(packages_dir, {FOLDER})
    removed = remove_package(packages_dir, "de", "en")
    assert removed.path == package.path
    assert_untouched(packages_dir)


def test_reinstall_replaces_the_same_folder(tmp_path: Path) -> None:
    first = write_zip(tmp_path / "a.argosmodel", members())
    second = write_zip(tmp_path / "b.argosmodel", members({"README.md": b"second"}))
    packages_dir = tmp_path / "packages"
    install_from_file(packages_dir, first)
    install_from_file(packages_dir, second)
    assert (packages_dir / FOLDER / "README.md").read_bytes() == b"second"
    assert_untouched(packages_dir, {FOLDER})


def test_symlinked_package_dir_stages_beside_its_target(tmp_path: Path, tiny_archive: Path) -> None:
    real = tmp_path / "disk" / "packages"
    real.mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    install_from_file(tmp_path / "link", tiny_archive)
    assert [p.path.name for p in list_packages(real)] == [FOLDER]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["disk", "link"]
    assert_untouched(real, {FOLDER})


def test_bpe_model_is_accepted(tmp_path: Path) -> None:
    files = members({"sentencepiece.model": None, "bpe.model": b"bpe"})
    package = install_from_file(tmp_path / "p", write_zip(tmp_path / "bpe.argosmodel", files))
    assert (package.path / "bpe.model").is_file()


def test_remove_takes_every_version_of_the_pair(tmp_path: Path) -> None:
    for version in ("1.9", "1.10"):
        fake_package(tmp_path / "p", f"de_en-{version}", version, ("de", "en"))
    fake_package(tmp_path / "p", "en_de", "1.0", ("en", "de"))
    assert remove_package(tmp_path / "p", "de", "en").package_version == "1.10"
    assert [p.pair for p in list_packages(tmp_path / "p")] == [("en", "de")]


def test_remove_missing_pair_names_what_is_installed(tmp_path: Path) -> None:
    fake_package(tmp_path / "p", "en_de", "1.0", ("en", "de"))
    with pytest.raises(InputError, match=r"no de→en package is installed.*en→de"):
        remove_package(tmp_path / "p", "de", "en")


def test_concurrent_installs_serialise(tmp_path: Path, tiny_archive: Path) -> None:
    errors: list[BaseException] = []

    def install() -> None:
        try:
            install_from_file(tmp_path / "p", tiny_archive)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=install) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_untouched(tmp_path / "p", {FOLDER})
    assert find_package(tmp_path / "p", "de", "en") is not None


# --- bad archives ---------------------------------------------------------------------------


def _not_a_zip(path: Path) -> Path:
    path.write_bytes(b"PK but not really a zip")
    return path


BAD_ARCHIVES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("not a zip", _not_a_zip, "not a zip archive"),
    ("empty zip", lambda p: write_zip(p, {}), "0 top-level entries"),
    (
        "two top folders",
        lambda p: write_zip(p, {**members(), **members(folder="other")}),
        "2 top-level entries",
    ),
    (
        "loose top-level file",
        lambda p: write_zip(p, {"metadata.json": b"{}"}),
        "not a package folder",
    ),
    (
        "hidden top folder",
        lambda p: write_zip(p, members(folder=".hidden")),
        "not a package folder",
    ),
    (
        "missing metadata",
        lambda p: write_zip(p, members({"metadata.json": None})),
        "missing metadata.json",
    ),
    (
        "missing model.bin",
        lambda p: write_zip(p, members({"model/model.bin": None})),
        "missing model/model.bin",
    ),
    (
        "missing config.json",
        lambda p: write_zip(p, members({"model/config.json": None})),
        "missing model/config.json",
    ),
    (
        "missing tokenizer",
        lambda p: write_zip(p, members({"sentencepiece.model": None})),
        "sentencepiece.model or bpe.model",
    ),
    (
        "metadata not json",
        lambda p: write_zip(p, members({"metadata.json": b"{oops"})),
        "not valid JSON",
    ),
    (
        "metadata without codes",
        lambda p: write_zip(p, members({"metadata.json": b'{"x":1}'})),
        "lacks the field 'from_code'",
    ),
    (
        "not a translate package",
        lambda p: write_zip(p, members({"metadata.json": b'{"type":1}'})),
        "is not 'translate'",
    ),
    (
        "zip-slip member",
        lambda p: write_zip(p, {**members(), f"{FOLDER}/../../evil": b"x"}),
        "points outside the package folder",
    ),
    (
        "absolute member",
        lambda p: write_zip(p, {**members(), "/tmp/evil": b"x"}),
        "points outside the package folder",
    ),
    (
        "backslash member",
        lambda p: write_zip(p, {**members(), f"{FOLDER}\\..\\evil": b"x"}),
        "points outside the package folder",
    ),
    (
        "symlink member",
        lambda p: write_zip(p, members(), symlinks=(f"{FOLDER}/model/link",)),
        "symbolic link",
    ),
]


@pytest.mark.parametrize(
    ("builder", "problem"),
    [case[1:] for case in BAD_ARCHIVES],
    ids=[case[0] for case in BAD_ARCHIVES],
)
def test_bad_archive_is_refused_and_installs_nothing(
    tmp_path: Path, builder: Callable[[Path], Path], problem: str
) -> None:
    archive = builder(tmp_path / "bad.argosmodel")
    packages_dir = tmp_path / "packages"
    with pytest.raises(PackageError) as caught:
        install_from_file(packages_dir, archive)
    assert str(archive) in str(caught.value)
    assert problem in str(caught.value)
    assert_untouched(packages_dir)
    assert not (tmp_path / "evil").exists() and not Path("/tmp/evil").exists()


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="no such file"):
        install_from_file(tmp_path / "p", tmp_path / "absent.argosmodel")


def test_zip_bomb_limit(tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "big.argosmodel", members({"model/model.bin": b"\0" * 10_000}))
    with pytest.raises(PackageError, match="more than the limit of 5000"):
        install_from_file(tmp_path / "p", archive, max_unpacked_bytes=5000)
    assert_untouched(tmp_path / "p")
    assert install_from_file(tmp_path / "p", archive).pair == ("de", "en")


def test_extraction_counts_real_bytes_not_declared_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lying size header cannot get past the limit: the copy loop counts what comes out."""
    archive = write_zip(tmp_path / "a.argosmodel", members({"model/model.bin": b"\0" * 10_000}))
    real_plan = packages._plan_install
    monkeypatch.setattr(packages, "_plan_install", lambda a, z, _limit: real_plan(a, z, 10**9))
    with pytest.raises(PackageError, match="unpacks past the size limit"):
        install_from_file(tmp_path / "p", archive, max_unpacked_bytes=5000)
    assert_untouched(tmp_path / "p")


# --- crashes --------------------------------------------------------------------------------


def _crash_after(monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
    real = packages._extract_member
    count = {"n": 0}

    def flaky(*args: Any) -> int:
        count["n"] += 1
        if count["n"] > calls:
            raise RuntimeError("simulated crash mid-extraction")
        return real(*args)

    monkeypatch.setattr(packages, "_extract_member", flaky)


def test_crash_mid_install_leaves_no_half_package(
    tmp_path: Path, tiny_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_after(monkeypatch, 2)
    with pytest.raises(RuntimeError, match="simulated crash"):
        install_from_file(tmp_path / "p", tiny_archive)
    assert_untouched(tmp_path / "p")


def test_crash_mid_reinstall_keeps_the_old_package(
    tmp_path: Path, tiny_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = install_from_file(tmp_path / "p", tiny_archive)
    files = sorted(p.relative_to(before.path) for p in before.path.rglob("*"))
    _crash_after(monkeypatch, 2)
    with pytest.raises(RuntimeError):
        install_from_file(tmp_path / "p", tiny_archive)
    assert sorted(p.relative_to(before.path) for p in before.path.rglob("*")) == files
    assert_untouched(tmp_path / "p", {FOLDER})


def test_failed_swap_restores_the_old_package(
    tmp_path: Path, tiny_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_from_file(tmp_path / "p", tiny_archive)
    real_replace = os.replace
    calls = {"n": 0}

    def replace(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the old package is aside; moving the new one in fails
            raise OSError("simulated rename failure")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PackageError, match="simulated rename failure"):
        install_from_file(tmp_path / "p", tiny_archive)
    monkeypatch.undo()
    assert find_package(tmp_path / "p", "de", "en") is not None
    assert_untouched(tmp_path / "p", {FOLDER})


def test_stale_staging_of_a_killed_run_is_cleaned(tmp_path: Path, tiny_archive: Path) -> None:
    stale = tmp_path / f"{STAGING_PREFIX}p-killed"
    (stale / "half").mkdir(parents=True)
    install_from_file(tmp_path / "p", tiny_archive)
    assert not stale.exists()


# --- argostranslate sees our packages, we see theirs ----------------------------------------

ARGOS_LIST = """
import json, argostranslate.package as package
print(json.dumps([[p.from_code, p.to_code, p.package_path.name]
                  for p in package.get_installed_packages()]))
"""

ARGOS_INSTALL = """
import sys, pathlib, argostranslate.package as package
try:
    package.install_from_path(pathlib.Path(sys.argv[1]))
except Exception as exc:  # it imports argostranslate.translate (stanza) after extracting
    print("raised after extracting:", type(exc).__name__, file=sys.stderr)
"""


def run_argos(script: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_argostranslate_lists_what_we_install(env: dict[str, str], tiny_archive: Path) -> None:
    packages_dir = Path(env["ARGOS_PACKAGES_DIR"])
    install_from_file(packages_dir, tiny_archive)
    assert json.loads(run_argos(ARGOS_LIST, env)) == [["de", "en", FOLDER]]


def test_we_list_what_argostranslate_installs(env: dict[str, str], tiny_archive: Path) -> None:
    packages_dir = Path(env["ARGOS_PACKAGES_DIR"])
    run_argos(ARGOS_INSTALL, env, str(tiny_archive))
    assert (packages_dir / FOLDER / "model" / "model.bin").is_file()
    (packages_dir / "stray").mkdir()  # would break argostranslate's listing, not ours
    listed = list_packages(packages_dir)
    assert [(p.pair, p.path.name) for p in listed] == [(("de", "en"), FOLDER)]
    # Installing the same file with ours replaces theirs in place: still one package.
    install_from_file(packages_dir, tiny_archive)
    assert [p.path.name for p in list_packages(packages_dir)] == [FOLDER]
