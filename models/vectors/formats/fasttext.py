"""fastText's .vec: word2vec text by another name."""
from __future__ import annotations

from models.vectors.formats.record import VectorFormat
from models.vectors.formats.word2vec import read_word2vec_text, write_word2vec_text

FORMAT = VectorFormat("fasttext", "fastText .vec", (".vec",), read_word2vec_text, write_word2vec_text,
                      aliases=("vec",))
