"""The four built-in domain sections: segmentation, checklist, profitability, relationship."""

from importlib import resources

#: The built-in sections' translations (``de.po``): ``SectionHandler.messages`` of each.
CATALOGUES = resources.files(__name__) / "locales"
