"""Pages for residents without an account: activities near them, 点单 and its follow-up, 我也想要."""
