"""What the test suite needs from the machine it runs on (a PostgreSQL server)."""
