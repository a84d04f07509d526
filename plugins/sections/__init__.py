"""The four built-in domain sections: segmentation, checklist, profitability, relationship."""
