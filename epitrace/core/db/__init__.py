"""Database backends: Django's, with what the project needs changed."""
