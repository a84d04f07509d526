"""Writing results: writer choice, atomic files, escaping customer text."""
