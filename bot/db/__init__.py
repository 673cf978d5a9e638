"""The bot's own database: users, verification attempts and verified sessions."""
