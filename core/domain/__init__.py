"""Pure domain rules. Imports only the standard library."""
