"""一键派单: the optimal batch assignment over a district's open orders, planned, shown and applied."""
