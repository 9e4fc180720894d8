"""Data the project ships: the classifier and the demo region."""
