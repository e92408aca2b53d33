"""The coordinator's activity map (活动地图): orders by status group and volunteer density per
community, for the coordinator's area — drawn on configured tiles or, by default, offline."""
