"""The admin's reference data: the area tree (official codes), the skill taxonomy, venues, and
the bulk import of a district's volunteers from XLSX or CSV (dry run, all-or-nothing commit)."""
