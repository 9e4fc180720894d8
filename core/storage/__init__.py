"""File storage adapters behind the FileStorage port."""
