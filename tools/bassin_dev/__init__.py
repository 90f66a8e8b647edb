"""Developer tooling: ``./bassin start`` and ``./bassin test`` land here."""
