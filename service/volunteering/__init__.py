"""The volunteer's phone pages: home, offers, open orders they can take, schedule and calendar feed,
check-in and check-out, hours and ratings."""
