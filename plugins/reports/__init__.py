"""Reports for people: HTML with charts, the Excel workbook, the Markdown summary."""
