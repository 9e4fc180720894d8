"""The staff web admin: FastAPI, server-rendered Jinja2 templates and htmx."""
