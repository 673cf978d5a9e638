"""Local stand-ins for external systems: a Telegram Bot API emulator and the program API."""
