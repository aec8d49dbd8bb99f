"""Files that realise static defects (scanned, never imported unless the defect is on)."""
