"""Files and paths made to attack the program, grouped by the rule each one tests (see cases.py)."""
