"""Engine settings as argostranslate reads them (issue 12): ARGOS_DEVICE_TYPE, the thread
counts, and the installed-package listing kept until the package directory changes."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any, ClassVar

import ctranslate2
import pytest

from glossary import cli, packages
from glossary.config import Settings
from glossary.ct2engine import CTranslate2Engine, resolve_device
from glossary.engines import EngineRegistry
from glossary.errors import ConfigError, DeviceUnavailableError, ModelNotInstalledError
from glossary.packages import InstalledPackage, install_from_file, remove_package
from tests.helpers import run_glossary
from web.app import create_app

SENTENCE = "Der Kreml-Herrscher reist nach Pjöngjang.\n"
HAS_GPU = ctranslate2.get_cuda_device_count() > 0
no_gpu = pytest.mark.skipif(HAS_GPU, reason="this machine has a CUDA device")


def write_argos_settings(env: dict[str, str], values: dict[str, Any]) -> Path:
    path = Path(env["XDG_CONFIG_HOME"]) / "argos-translate" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


# -- parsing -----------------------------------------------------------------------------


def test_defaults_are_argostranslates(env: dict[str, str]) -> None:
    settings = Settings.from_env(env)
    assert (settings.device, settings.intra_threads, settings.inter_threads) == ("cpu", 0, 1)


def test_environment_wins_over_settings_json_which_wins_over_the_default(
    env: dict[str, str],
) -> None:
    write_argos_settings(
        env, {"ARGOS_DEVICE_TYPE": "auto", "ARGOS_INTRA_THREADS": 3, "ARGOS_INTER_THREADS": "2"}
    )
    from_file = Settings.from_env(env)
    assert (from_file.device, from_file.intra_threads, from_file.inter_threads) == ("auto", 3, 2)
    both = Settings.from_env({**env, "ARGOS_DEVICE_TYPE": "CPU", "ARGOS_INTRA_THREADS": "4"})
    assert (both.device, both.intra_threads, both.inter_threads) == ("cpu", 4, 2)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("ARGOS_DEVICE_TYPE", "gpu", "must be one of cpu, cuda, auto"),
        ("ARGOS_INTRA_THREADS", "two", "is not an integer"),
        ("ARGOS_INTRA_THREADS", "-1", "must be at least 0"),
        ("ARGOS_INTER_THREADS", "0", "must be at least 1"),
    ],
)
def test_a_bad_environment_value_names_the_variable(
    env: dict[str, str], key: str, value: str, expected: str
) -> None:
    with pytest.raises(ValueError, match=expected) as caught:
        Settings.from_env({**env, key: value})
    assert f"environment variable {key}={value!r}" in str(caught.value)


def test_a_bad_settings_json_value_names_the_file(env: dict[str, str]) -> None:
    path = write_argos_settings(env, {"ARGOS_INTRA_THREADS": True})
    with pytest.raises(ValueError, match="is not an integer") as caught:
        Settings.from_env(env)
    assert f"ARGOS_INTRA_THREADS in {path}" in str(caught.value)


def test_a_bad_value_is_one_line_from_the_cli(env: dict[str, str]) -> None:
    done = run_glossary({**env, "ARGOS_DEVICE_TYPE": "gpu"}, "translate", stdin=SENTENCE.encode())
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "glossary: error: environment variable ARGOS_DEVICE_TYPE='gpu' must be one of "
        "cpu, cuda, auto"
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("GLOSSARY_PORT", "eighty", "is not an integer"),
        ("GLOSSARY_MAX_CHARS", "1e6", "is not an integer"),
        ("GLOSSARY_DEADLINE", "soon", "is not an integer"),
        ("GLOSSARY_NETWORK_TIMEOUT", "ten", "is not a number"),
        ("GLOSSARY_NETWORK_TIMEOUT", "0", "must be a positive number"),
        ("GLOSSARY_NETWORK_TIMEOUT", "nan", "must be a positive number"),
        ("GLOSSARY_KEYS_FOR_TRANSLATE", "ture", "must be one of 1, true, yes, on, 0, false"),
    ],
)
def test_every_bad_glossary_variable_is_named(
    env: dict[str, str], key: str, value: str, expected: str
) -> None:
    with pytest.raises(ConfigError, match=expected) as caught:
        Settings.from_env({**env, key: value})
    assert f"environment variable {key}={value!r}" in str(caught.value)
    assert isinstance(caught.value, ValueError)  # callers that caught ValueError still do


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", False), ("0", False), ("Off", False), ("1", True), ("YES", True), (" on ", True)],
)
def test_keys_for_translate_reads_yes_and_no(
    env: dict[str, str], value: str, expected: bool
) -> None:
    settings = Settings.from_env({**env, "GLOSSARY_KEYS_FOR_TRANSLATE": value})
    assert settings.keys_for_translate is expected


def test_a_timeout_with_a_fraction_is_read(env: dict[str, str]) -> None:
    assert Settings.from_env({**env, "GLOSSARY_NETWORK_TIMEOUT": "2.5"}).network_timeout == 2.5


def test_the_cli_reports_a_stray_value_error_as_what_it_is(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only ConfigError is a configuration error; any other ValueError is a bug somewhere and
    is named by its type, not passed off as a bad setting."""

    def broken(_env: object = None, **_overrides: object) -> Settings:
        raise ValueError("something else went wrong")

    monkeypatch.setattr(cli.Settings, "from_env", broken)
    assert cli.main(["glossaries", "list"]) == 2
    assert capsys.readouterr().err == "glossary: error: ValueError: something else went wrong\n"


# -- the device ---------------------------------------------------------------------------


@no_gpu
def test_auto_runs_on_the_cpu_without_a_gpu(
    settings: Settings,
    installed: InstalledPackage,
) -> None:
    registry = EngineRegistry(dataclasses.replace(settings, device="auto"))
    engine = registry.get("de", "en")
    assert isinstance(engine, CTranslate2Engine)
    assert engine.device == "cpu" and engine._translator.device == "cpu"
    assert engine.translate_batch(["Waffen für Butter."])[0].text


def test_auto_and_cuda_pick_cuda_when_there_is_a_gpu_patched_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 2)
    assert (resolve_device("auto"), resolve_device("cuda"), resolve_device("cpu")) == (
        "cuda",
        "cuda",
        "cpu",
    )
    monkeypatch.setattr(ctranslate2, "get_cuda_device_count", lambda: 0)
    assert (resolve_device("auto"), resolve_device("cpu")) == ("cpu", "cpu")
    with pytest.raises(DeviceUnavailableError, match=r"ARGOS_DEVICE_TYPE=cuda.*0 CUDA devices"):
        resolve_device("cuda")


@no_gpu
def test_cuda_without_a_gpu_is_one_line_and_exit_2_from_the_cli(
    env: dict[str, str], tiny_archive: Path
) -> None:
    done = run_glossary(env, "models", "install", "--file", str(tiny_archive))
    assert done.returncode == 0, done.stderr.decode()
    done = run_glossary({**env, "ARGOS_DEVICE_TYPE": "cuda"}, "translate", stdin=SENTENCE.encode())
    assert done.returncode == 2 and done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("glossary: error: ARGOS_DEVICE_TYPE=cuda asks for a CUDA GPU")
    assert "0 CUDA devices" in lines[0]


@no_gpu
def test_cuda_without_a_gpu_is_a_503_naming_the_setting_from_the_api(
    settings: Settings, installed: InstalledPackage, terms_dir: Path
) -> None:
    app = create_app(
        dataclasses.replace(settings, terms_dir=terms_dir, device="cuda"),
        test_config={"TESTING": True, "SECRET_KEY": "s"},
    )
    client = app.test_client()
    reply = client.post("/api/translate", json={"text": SENTENCE, "source": "de", "target": "en"})
    assert reply.status_code == 503
    error = (reply.json or {})["error"]
    assert "ARGOS_DEVICE_TYPE=cuda" in error and "0 CUDA devices" in error
    libre = client.post("/translate", json={"q": SENTENCE, "source": "de", "target": "en"})
    assert libre.status_code == 503 and "ARGOS_DEVICE_TYPE" in (libre.json or {})["error"]


# -- threads ------------------------------------------------------------------------------


class RecordingTranslator:
    """Stands in for ctranslate2.Translator: records the arguments, builds the real one."""

    calls: ClassVar[list[dict[str, Any]]] = []

    def __new__(cls, model_path: str, **kwargs: Any) -> Any:
        cls.calls.append(kwargs)
        return REAL_TRANSLATOR(model_path, **kwargs)


REAL_TRANSLATOR = ctranslate2.Translator


@pytest.mark.parametrize(
    ("extra", "intra", "inter"),
    [({}, 0, 1), ({"ARGOS_INTRA_THREADS": "2", "ARGOS_INTER_THREADS": "2"}, 2, 2)],
)
def test_thread_settings_reach_ctranslate2_patched_constructor(
    env: dict[str, str],
    installed: InstalledPackage,
    monkeypatch: pytest.MonkeyPatch,
    extra: dict[str, str],
    intra: int,
    inter: int,
) -> None:
    monkeypatch.setattr(RecordingTranslator, "calls", [])
    monkeypatch.setattr(ctranslate2, "Translator", RecordingTranslator)
    engine = EngineRegistry(Settings.from_env({**env, **extra})).get("de", "en")
    assert engine.translate_batch(["Waffen für Butter."])[0].text
    expected = {
        "device": "cpu",
        "compute_type": "float32",
        "intra_threads": intra,
        "inter_threads": inter,
    }
    assert RecordingTranslator.calls == [expected]


# -- the package listing ------------------------------------------------------------------


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every metadata.json read, by the folder it was read from (the installer's own reads
    too: tests clear the list after installing)."""
    seen: list[Path] = []
    real = packages.read_metadata

    def counting(package_dir: Path) -> dict[str, Any]:
        seen.append(package_dir)
        return real(package_dir)

    monkeypatch.setattr(packages, "read_metadata", counting)
    return seen


@pytest.fixture
def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """A clock 10 s ahead, so that what a test just wrote is past the racy window (a change
    within the same timestamp tick could leave a stamp equal; see RACY_SECONDS). Every change
    the tests make alters a name, an inode or a size, so the stamps differ regardless."""
    real = packages._clock
    monkeypatch.setattr(packages, "_clock", lambda: real() + 10 * 10**9)


def test_metadata_is_read_once_across_many_pairs_calls(
    settings: Settings,
    model_archives: dict[tuple[str, str], Path],
    reads: list[Path],
    later: None,
) -> None:
    install_from_file(settings.packages_dir, model_archives[("de", "en")])
    install_from_file(settings.packages_dir, model_archives[("fr", "en")])
    reads.clear()
    registry = EngineRegistry(settings)
    for _ in range(50):
        assert registry.pairs() == [("de", "en"), ("fr", "en")]
    registry.get("de", "en")
    assert len(reads) == 2  # one per package, for all 50 listings and the engine load


def test_an_installed_package_is_read_on_the_next_call(
    settings: Settings,
    model_archives: dict[tuple[str, str], Path],
    reads: list[Path],
    later: None,
) -> None:
    install_from_file(settings.packages_dir, model_archives[("de", "en")])
    registry = EngineRegistry(settings)
    reads.clear()
    assert registry.pairs() == [("de", "en")]
    assert len(reads) == 1
    install_from_file(settings.packages_dir, model_archives[("en", "fr")])
    reads.clear()
    assert registry.pairs() == [("de", "en"), ("de", "fr"), ("en", "fr")]
    for _ in range(20):
        registry.pairs()
    assert len(reads) == 2


def test_a_removed_package_is_noticed_on_the_next_call(
    settings: Settings,
    model_archives: dict[tuple[str, str], Path],
    reads: list[Path],
    later: None,
) -> None:
    for pair in [("de", "en"), ("en", "fr"), ("fr", "en")]:
        install_from_file(settings.packages_dir, model_archives[pair])
    registry = EngineRegistry(settings)
    assert ("de", "fr") in registry.pairs()
    registry.get("de", "fr")
    remove_package(settings.packages_dir, "en", "fr")  # ours: renamed out, then deleted
    assert registry.pairs() == [("de", "en"), ("fr", "en")]
    with pytest.raises(ModelNotInstalledError):  # the cached pivot engine is dropped too
        registry.get("de", "fr")
    fr_en = next(p for p in packages.list_packages(settings.packages_dir) if p.pair == ("fr", "en"))
    reads.clear()
    shutil.rmtree(fr_en.path)  # by hand, or by argospm
    assert registry.pairs() == [("de", "en")]
    for _ in range(20):
        registry.pairs()
    assert len(reads) == 1


def test_a_package_replaced_in_place_or_by_rename_is_read_again(
    settings: Settings, tiny_archive: Path, reads: list[Path], later: None
) -> None:
    first = install_from_file(settings.packages_dir, tiny_archive)
    registry = EngineRegistry(settings)
    reads.clear()
    registry.pairs()
    # argospm unzips over the folder: the same inodes, metadata.json rewritten in place.
    metadata = first.path / packages.METADATA
    data = json.loads(metadata.read_text(encoding="utf-8"))
    metadata.write_text(json.dumps({**data, "package_version": "1.10"}), encoding="utf-8")
    assert registry.installed()[("de", "en")].package_version == "1.10"
    assert len(reads) == 2
    # Our installer renames a new folder into place: a new inode, the same name.
    install_from_file(settings.packages_dir, tiny_archive)
    reads.clear()
    assert registry.installed()[("de", "en")].package_version == "1.0"
    registry.pairs()
    assert len(reads) == 1


def test_a_listing_younger_than_the_racy_window_is_not_kept(
    settings: Settings,
    installed: InstalledPackage,
    reads: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry = EngineRegistry(settings)
    registry.pairs()
    registry.pairs()
    assert len(reads) == 2  # just installed: a same-tick change could go unseen, so read again
    later = packages._clock() + int(packages.RACY_SECONDS * 1e9) + 10**9
    monkeypatch.setattr(packages, "_clock", lambda: later)
    for _ in range(5):
        registry.pairs()
    assert len(reads) == 3
