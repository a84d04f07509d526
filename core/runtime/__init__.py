"""The run: load -> validate -> derive -> decide, results and explanations."""
