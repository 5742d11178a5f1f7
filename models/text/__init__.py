"""Text: corpus reading, vocabulary, sampling, and one module per word-embedding family."""
