"""The coordinator's stuck-order queue: what is stuck, why, and the one-click fixes with the
candidates each one gains, measured before it is applied."""
