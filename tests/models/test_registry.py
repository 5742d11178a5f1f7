"""The registry: every model's names resolve in its module, and a model module is imported only
when something in it is used (listing models, or loading one model, imports no other)."""
import dataclasses
import json
import subprocess
import sys

import pytest

from models.core.events import drain
from models.registry import all_models, get
from models.text import onehot, softmax
from models.text.corpus import read_corpus
from models.text.word2vec import SGNSConfig, train
from tests.models.planted import planted_corpus

MODEL_MODULES = sorted({spec.module for spec in all_models()})


def _in_fresh_python(script: str):
    """What ``script`` prints last, run in a Python that has imported nothing of the project."""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("spec", all_models(), ids=lambda spec: spec.name)
def test_every_name_a_spec_gives_is_found_in_its_module(spec):
    assert dataclasses.is_dataclass(spec.config_cls) and callable(spec.train)
    assert (spec.result_cls is None) == (spec.result is None)
    assert (spec.check_resume is None) == (spec.check is None)
    assert spec.description and "{" not in spec.description


def test_descriptions_show_the_module_constants_they_name():
    assert f"{onehot.MAX_VOCAB:,} words" in get("onehot").description
    assert f"{softmax.MAX_VOCAB:,} words" in get("softmax").description
    assert get("dc").description == get("dc").imported().DESCRIPTION


def test_another_trainer_stands_in_for_the_modules_own():
    def watching(config, corpus):
        yield from ()
    spec = dataclasses.replace(get("sgns"), trainer=watching)
    assert spec.train is watching and get("sgns").train is train


def test_listing_the_models_imports_none_of_their_modules():
    loaded = _in_fresh_python(
        "import json, sys\n"
        "from models.registry import all_models\n"
        "labels = [(spec.name, spec.label, spec.uses_corpus, spec.resumable) for spec in all_models()]\n"
        f"print(json.dumps([m for m in {MODEL_MODULES!r} if m in sys.modules] + ['torch'] * ('torch' in sys.modules)))")
    assert loaded == []


def test_loading_a_saved_model_imports_only_the_module_it_names(tmp_path):
    corpus = read_corpus(planted_corpus(tmp_path / "c.txt", lines=200))
    drain(train(SGNSConfig(dim=8, epochs=1, min_count=1, threads=1), corpus)).save(tmp_path / "m")
    loaded = _in_fresh_python(
        "import json, sys\n"
        "from models.loading import load_result\n"
        f"assert load_result({str(tmp_path / 'm')!r}).model == 'sgns'\n"
        f"print(json.dumps([m for m in {MODEL_MODULES!r} if m in sys.modules]))")
    assert loaded == ["models.text.word2vec"]
