"""Import and export: CSV and XLSX of the grid and its gaps, and the sharing-practice document."""
