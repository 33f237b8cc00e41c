"""Registration, tokens and the dependencies that authenticate a request."""
