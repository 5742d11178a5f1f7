"""Errors a person can cause, each carrying what went wrong and what to do about it.

The GUI shows ``str(error)`` in a dialog and the CLI prints it as one line; neither shows a
traceback for these, because the fix is in the user's hands, not the code's.
"""


class UserError(Exception):
    """A problem with the user's input: a file, a word, a setting."""

    def __init__(self, problem: str, hint: str = ""):
        super().__init__(problem)
        self.problem = problem
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.problem} {self.hint}".strip()


class CorpusError(UserError):
    """A corpus file that cannot be read or is unfit for training."""


class VectorFileError(UserError):
    """A word-vector file that is malformed."""


class UnknownWordError(UserError, KeyError):
    """A word that the vocabulary does not hold."""

    def __init__(self, word: str, hint: str = ""):
        UserError.__init__(self, f"'{word}' is not in the vocabulary.",
                           hint or "Check the spelling, or train with a lower minimum count.")
        self.word = word

    __str__ = UserError.__str__
