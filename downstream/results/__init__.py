"""Results files: the record schema and its one writer (:mod:`.records`), bootstrap
intervals and verdicts (:mod:`.intervals`) and provenance (:mod:`.provenance`). ``rdmc bench``
and ``rdmc scoreboard`` write through :func:`.records.write_results`; ``rdmc tables``,
``rdmc compare`` and the report read through :func:`.records.read_results`."""
