"""数据看板 and 上报: the figures of a coordinator's area, and the report for the level above."""
