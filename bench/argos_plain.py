"""Runs argostranslate's own translate path on a package, in a process of its own (its settings
are read from the environment at import). argostranslate.translate imports stanza and minisbd
at module level and MiniSBD downloads its model at first use, so neither can run here: this
script registers empty stand-ins for those two modules and hands argos the sentences already
split (as one paragraph). argos's own code, from tokenisation to detokenisation (its
CTranslate2 call with batch_type="tokens", num_hypotheses, length_penalty), does the work.

Usage: python -m bench.argos_plain PACKAGES_DIR SENTENCES_FILE REPEAT -> prints seconds (median)
"""

from __future__ import annotations

import statistics
import sys
import time
import types


def _stub_modules() -> None:
    stanza = types.ModuleType("stanza")
    minisbd = types.ModuleType("minisbd")
    minisbd.SBDetect = object  # type: ignore[attr-defined]
    minisbd.models = types.SimpleNamespace(list_models=lambda: ["de", "en"])  # type: ignore[attr-defined]
    sys.modules.update(stanza=stanza, minisbd=minisbd)


def main() -> None:
    packages_dir, sentences_file, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
    _stub_modules()
    from argostranslate import package, translate

    pkg = package.get_installed_packages()[0]
    translation = translate.PackageTranslation(None, None, pkg)
    with open(sentences_file, encoding="utf-8") as handle:
        sentences = handle.read().splitlines()
    translation.sentencizer.split_sentences = lambda text: sentences
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        translation.hypotheses(" ".join(sentences), num_hypotheses=1)
        times.append(time.perf_counter() - start)
    print(statistics.median(times), packages_dir)


if __name__ == "__main__":
    main()
