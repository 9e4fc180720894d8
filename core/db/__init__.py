"""Storage: SQLAlchemy tables, the database handle and migrations. Repositories never commit."""
