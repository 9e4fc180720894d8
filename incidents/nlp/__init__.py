"""The incident NLP pipeline: normalisation, tokens and lemmas (natasha), and what is built on
them. Models load lazily, once per worker process; the web process never imports this."""
