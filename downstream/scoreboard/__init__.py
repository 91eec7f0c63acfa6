"""``rdmc scoreboard``: derainers side by side on image pairs (:mod:`.runner`), over the
cases of the embedded split or of paired dataset folders (:mod:`.cases`)."""
