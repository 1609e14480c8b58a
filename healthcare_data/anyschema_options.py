"""The choices of ``generate --format``/``--method``: a leaf module outside the
``anyschema`` package (whose ``__init__`` loads SQLAlchemy and Faker), so the CLI's parser
can offer them and ``healthcare-data --help`` stays fast."""

FORMATS = ("jsonl", "csv", "sql")
METHODS = ("auto", "executemany", "copy")
