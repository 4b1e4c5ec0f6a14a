"""Township rosters (花名册): reading an uploaded CSV/XLSX (`reading`, pure), importing it in the
background and exporting labourers (`use_cases`, `repository`, `background`), and the import
error report (`writing`). The columns are registry's contract (`registry_contract.rosters`)."""
