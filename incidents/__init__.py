"""Incident monitoring: public posts read, classified with natasha, handed to core."""
