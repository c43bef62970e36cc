"""Reading: inputs (paths, folders, archives, stdin) → decoded lines → records, line by line or block by block."""
