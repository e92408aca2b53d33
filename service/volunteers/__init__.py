"""A volunteer's own profile: skills, home, radius, weekly availability, blackout dates, pause."""
