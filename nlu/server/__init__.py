"""The Rasa server glue: the authenticated input channel, the HTTP API gate and the launcher."""
