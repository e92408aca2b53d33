"""数据导出: a coordinator's orders and service hours of an area and period, as CSV or XLSX,
streamed so that a 100k-row file keeps memory flat (page, command line, benchmark)."""
