"""One module per view. A view shows copies of results and emits user intents; it never trains."""
